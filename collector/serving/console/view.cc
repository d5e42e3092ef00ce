#include "collector/serving/console/view.h"

#include <map>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/embedded.h"
#include "common/log.h"

namespace paraat {
const std::vector<EmbeddedFile>& ConsoleFiles();
}  // namespace paraat

namespace paraat::console {
namespace {

using Mustache = kainjow::mustache::mustache;

// Templates are parsed once, on first use; parsing is most of a small page's cost otherwise.
class Templates {
 public:
  static const Templates& Get() {
    static const Templates* t = new Templates;
    return *t;
  }
  const Mustache* Find(std::string_view name) const {
    auto it = parsed_.find(std::string(name));
    return it == parsed_.end() ? nullptr : it->second.get();
  }
  const Data& partials() const { return partials_; }

 private:
  Templates() {
    for (const EmbeddedFile& f : ConsoleFiles()) {
      std::string_view name = f.name;
      constexpr std::string_view kExt = ".mustache";
      if (name.size() <= kExt.size() || name.substr(name.size() - kExt.size()) != kExt) continue;
      std::string base(name.substr(0, name.size() - kExt.size()));
      auto m = std::make_unique<Mustache>(std::string(f.content));
      if (!m->is_valid()) LogError("console template ", f.name, ": ", m->error_message());
      // Partials ({{>time}}) are the same templates by name.
      partials_.set(base, kainjow::mustache::partial([text = std::string(f.content)] { return text; }));
      parsed_[base] = std::move(m);
    }
  }
  std::map<std::string, std::unique_ptr<Mustache>> parsed_;
  Data partials_;
};

}  // namespace

std::string RenderTemplate(std::string_view name, const Data& data) {
  const Mustache* m = Templates::Get().Find(name);
  if (m == nullptr || !m->is_valid()) {
    LogError("console template ", std::string(name), " is missing or broken");
    return "";
  }
  // render() is const in effect but not declared so; a copy per call keeps threads apart.
  Mustache copy = *m;
  Data ctx = data;
  for (const char* p : {"time", "incident_clock"}) {
    if (const Data* partial = Templates::Get().partials().get(p)) ctx.set(p, *partial);
  }
  return copy.render(ctx);
}

const std::string_view* StaticFile(std::string_view name) {
  for (const EmbeddedFile& f : ConsoleFiles()) {
    if (name == f.name) return &f.content;
  }
  return nullptr;
}

const Data& Texts(Lang lang) {
  static const Data* texts[2] = {nullptr, nullptr};
  static std::once_flag once;
  std::call_once(once, [] {
    for (Lang l : kAllLangs) {
      auto* d = new Data;
      for (const auto& [key, text] : Catalog::Builtin().Entries(l))
        d->set(absl::StrReplaceAll(key, {{".", "_"}}), text);
      texts[static_cast<int>(l)] = d;
    }
  });
  return *texts[static_cast<int>(lang)];
}

Data TimeData(const Localizer& loc, absl::Time t) {
  Data d;
  d.set("iso", loc.Iso(t));
  d.set("text", loc.DateTime(t));
  return d;
}

Data StringList(const std::vector<std::string>& items) {
  List l;
  for (const std::string& s : items) l.push_back(Data(s));
  return Data(l);
}

}  // namespace paraat::console
