#include "ctl/table.h"

#include <algorithm>

#include "common/text.h"

namespace paraat {
size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

void TextTable::AddRow(std::vector<std::string> row) {
  // Cells hold agents' text: one line each, controls shown (a TAB would break the columns).
  for (std::string& cell : row) {
    cell = OneLine(cell);
    std::replace(cell.begin(), cell.end(), '\t', ' ');
  }
  rows_.push_back(std::move(row));
}

std::string TextTable::Render() const {
  std::vector<size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(widths[i] - DisplayWidth(row[i]) + 2, ' ');
    }
    out += '\n';
  };
  emit(header_);
  for (const auto& r : rows_) emit(r);
  return out;
}

}  // namespace paraat
