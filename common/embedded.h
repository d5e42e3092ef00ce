// Files embedded in a binary at build time (cmake/ParaatEmbed.cmake): the collector's page
// templates and style sheet, the message catalogues. Immutable; safe from any thread.
#ifndef PARAAT_COMMON_EMBEDDED_H_
#define PARAAT_COMMON_EMBEDDED_H_

#include <string_view>
#include <vector>

namespace paraat {

struct EmbeddedFile {
  const char* name;  // the file's base name: "overview.mustache"
  std::string_view content;
};

// The file called `name` among `files`, or nullptr.
inline const EmbeddedFile* FindEmbedded(const std::vector<EmbeddedFile>& files, std::string_view name) {
  for (const EmbeddedFile& f : files) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

}  // namespace paraat

#endif  // PARAAT_COMMON_EMBEDDED_H_
