// Plain-text tables for terminals: columns sized to their content, the last column left
// unpadded so long reasons wrap naturally. Cells beyond the header's columns are dropped.
// Every cell is one line with its controls shown (OneLine, common/text.h): agents' text can
// neither forge a row nor reach the terminal as an escape sequence.
// Not thread-safe (one table, one thread).
#ifndef PARAAT_CTL_TABLE_H_
#define PARAAT_CTL_TABLE_H_

#include <string>
#include <vector>

namespace paraat {

// Display width of UTF-8 text: code points, not bytes.
size_t DisplayWidth(const std::string& s);

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row);
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace paraat

#endif  // PARAAT_CTL_TABLE_H_
