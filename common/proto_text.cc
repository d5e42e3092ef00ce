#include "common/proto_text.h"

#include <memory>
#include <mutex>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/text.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "paraat/v1/result.pb.h"

namespace paraat {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr absl::string_view kEllipsis = "\xE2\x80\xA6";  // …

struct Limit {
  size_t max_bytes;
  bool keep_end;  // an output tail: its end matters
};

// The collector's default limits (IngestLimits in collector/validation.h; a unit test holds the
// two together). A string over its limit would have the whole batch refused, again on every
// resend: the agent cuts it instead.
const absl::flat_hash_map<const FieldDescriptor*, Limit>& Limits() {
  static const auto* limits = [] {
    auto* m = new absl::flat_hash_map<const FieldDescriptor*, Limit>();
    const std::pair<const char*, Limit> table[] = {
        {"paraat.v1.Result.kind", {64, false}},          {"paraat.v1.Result.message", {4096, false}},
        {"paraat.v1.Result.output_tail", {16384, true}}, {"paraat.v1.Detail.key", {128, false}},
        {"paraat.v1.Detail.value", {4096, false}},       {"paraat.v1.Value.name", {128, false}},
        {"paraat.v1.Value.unit", {16, false}},           {"paraat.v1.Label.name", {256, false}},
        {"paraat.v1.Label.value", {256, false}},         {"paraat.v1.Hello.version", {128, false}},
        {"paraat.v1.Hello.hostname", {255, false}},      {"paraat.v1.CheckInfo.kind", {64, false}},
        {"paraat.v1.Gap.reason", {4096, false}},
    };
    for (const auto& [name, limit] : table) {
      const FieldDescriptor* f = DescriptorPool::generated_pool()->FindFieldByName(name);
      if (f != nullptr) m->emplace(f, limit);
    }
    return m;
  }();
  return *limits;
}

}  // namespace

size_t WireLimit(const FieldDescriptor* field) {
  auto it = Limits().find(field);
  return it == Limits().end() ? 0 : it->second.max_bytes;
}

namespace {

// Cuts escaped text to its limit, marked with an ellipsis. True when it did.
bool Cut(std::string* text, const Limit& limit) {
  if (text->size() <= limit.max_bytes) return false;
  const size_t room = limit.max_bytes > kEllipsis.size() ? limit.max_bytes - kEllipsis.size() : 0;
  if (limit.keep_end) {
    *text = absl::StrCat(kEllipsis, EscapedSuffix(*text, room));
  } else {
    text->resize(EscapedPrefix(*text, room).size());
    text->append(kEllipsis.data(), kEllipsis.size());
  }
  return true;
}

struct WalkMode {
  bool escape;
  bool cap;
};

// In the lenient pool (below): a bytes field that is a string in the generated one.
bool StandsForString(const FieldDescriptor* f) {
  if (f->type() != FieldDescriptor::TYPE_BYTES) return false;
  const FieldDescriptor* original = DescriptorPool::generated_pool()->FindFieldByName(f->full_name());
  return original != nullptr && original->type() == FieldDescriptor::TYPE_STRING;
}

// What the walk visits in one message type, worked out once per type: its text fields (with
// their limit and raw sibling) and the message fields that lead to text. Reflection stays the
// only source of truth, so fields added later are covered; the plan only spares the walk the
// types and fields without text (Facts, numbers) and the look-ups.
struct Plan {
  struct Text {
    const FieldDescriptor* field;
    const Limit* limit;          // null: no limit of its own
    const FieldDescriptor* raw;  // the `bytes raw_<name>` sibling, or null
  };
  struct Child {
    const FieldDescriptor* field;
    const Plan* plan;
  };
  std::vector<Text> texts;
  std::vector<Child> children;
  bool building = true;
};

class Plans {
 public:
  static const Plan* For(const Descriptor* d) {
    static Plans* plans = new Plans();
    std::lock_guard<std::mutex> lock(plans->mu_);
    return plans->GetLocked(d);
  }

 private:
  const Plan* GetLocked(const Descriptor* d) {
    auto it = plans_.find(d);
    if (it != plans_.end()) return it->second.get();
    Plan* plan = plans_.emplace(d, std::make_unique<Plan>()).first->second.get();
    // Text is a string field; in the lenient pool, a bytes field standing for one.
    const bool generated = d->file()->pool() == DescriptorPool::generated_pool();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        const Plan* child = GetLocked(f->message_type());
        if (child->building || !child->texts.empty() || !child->children.empty()) {
          plan->children.push_back({f, child});
        }
        continue;
      }
      if (generated ? f->type() != FieldDescriptor::TYPE_STRING : !StandsForString(f)) continue;
      auto limit = Limits().find(f);
      const FieldDescriptor* raw = f->is_repeated() ? nullptr : d->FindFieldByName("raw_" + f->name());
      if (raw != nullptr && (raw->type() != FieldDescriptor::TYPE_BYTES || raw->is_repeated())) raw = nullptr;
      plan->texts.push_back({f, limit == Limits().end() ? nullptr : &limit->second, raw});
    }
    plan->building = false;
    return plan;
  }

  std::mutex mu_;
  absl::flat_hash_map<const Descriptor*, std::unique_ptr<Plan>> plans_;
};

bool NeedsFix(const std::string& v, const Plan::Text& t, const WalkMode& walk) {
  if (walk.escape && NeedsUtf8Escape(v)) return true;
  return walk.cap && t.limit != nullptr && v.size() > t.limit->max_bytes;
}

// Escapes and caps one string; `raw` (may be null) receives the exact bytes when cut.
void FixString(std::string* value, const Plan::Text& t, const WalkMode& walk, std::string* raw) {
  const Limit* limit = walk.cap ? t.limit : nullptr;
  std::string original;
  if (limit != nullptr && raw != nullptr) original = *value;
  if (walk.escape) EscapeUtf8InPlace(value);
  if (limit != nullptr && Cut(value, *limit) && raw != nullptr && raw->empty()) {
    *raw = original.substr(0, limit->max_bytes);
  }
}

void WalkMessage(Message* m, const Plan& plan, const WalkMode& walk) {
  const Reflection* r = m->GetReflection();
  std::string scratch;
  for (const Plan::Text& t : plan.texts) {
    const FieldDescriptor* f = t.field;
    if (f->is_repeated()) {
      for (int k = 0, n = r->FieldSize(*m, f); k < n; ++k) {
        const std::string& v = r->GetRepeatedStringReference(*m, f, k, &scratch);
        if (!NeedsFix(v, t, walk)) continue;
        std::string fixed = v;
        FixString(&fixed, t, walk, nullptr);
        r->SetRepeatedString(m, f, k, std::move(fixed));
      }
      continue;
    }
    if (!r->HasField(*m, f)) continue;
    const std::string& v = r->GetStringReference(*m, f, &scratch);
    if (!NeedsFix(v, t, walk)) continue;
    std::string raw = t.raw != nullptr ? r->GetString(*m, t.raw) : std::string();
    std::string fixed = v;
    FixString(&fixed, t, walk, t.raw != nullptr ? &raw : nullptr);
    r->SetString(m, f, std::move(fixed));
    if (!raw.empty()) r->SetString(m, t.raw, std::move(raw));
  }
  for (const Plan::Child& c : plan.children) {
    if (c.field->is_repeated()) {
      for (int k = 0, n = r->FieldSize(*m, c.field); k < n; ++k) {
        WalkMessage(r->MutableRepeatedMessage(m, c.field, k), *c.plan, walk);
      }
    } else if (r->HasField(*m, c.field)) {
      WalkMessage(r->MutableMessage(m, c.field), *c.plan, walk);
    }
  }
}

void WalkAll(Message* m, const WalkMode& walk) { WalkMessage(m, *Plans::For(m->GetDescriptor()), walk); }

// Every text field a plan reaches, by full name.
void TextFields(const Plan& plan, std::set<std::string>* out, std::set<const Plan*>* seen) {
  if (!seen->insert(&plan).second) return;
  for (const auto& t : plan.texts) out->insert(t.field->full_name());
  for (const auto& c : plan.children) {
    out->insert(c.field->full_name());
    TextFields(*c.plan, out, seen);
  }
}

// PrepareForWire runs on every result; reflection costs about 1 µs a result, the generated
// accessors a fraction of that. This asks, through them, whether a result needs anything at all
// — but only while the fields it reads are exactly the ones reflection finds in Result, so a
// string field added to the protocol later still goes through the reflection walk.
struct Known {
  bool fields_match;
  size_t kind, message, tail, key, value, name, unit, label;
};

const Known& KnownResultFields() {
  static const Known known = [] {
    std::set<std::string> fields;
    std::set<const Plan*> seen;
    TextFields(*Plans::For(paraat::v1::Result::descriptor()), &fields, &seen);
    const std::set<std::string> expected = {
        "paraat.v1.Result.check_id",    "paraat.v1.Result.kind",    "paraat.v1.Result.message",
        "paraat.v1.Result.output_tail", "paraat.v1.Result.details", "paraat.v1.Result.values",
        "paraat.v1.Result.labels",      "paraat.v1.Detail.key",     "paraat.v1.Detail.value",
        "paraat.v1.Value.name",         "paraat.v1.Value.unit",     "paraat.v1.Label.name",
        "paraat.v1.Label.value"};
    auto limit = [](const Descriptor* d, const char* name) { return WireLimit(d->FindFieldByName(name)); };
    const Descriptor* result = paraat::v1::Result::descriptor();
    return Known{fields == expected,
                 limit(result, "kind"),
                 limit(result, "message"),
                 limit(result, "output_tail"),
                 limit(paraat::v1::Detail::descriptor(), "key"),
                 limit(paraat::v1::Detail::descriptor(), "value"),
                 limit(paraat::v1::Value::descriptor(), "name"),
                 limit(paraat::v1::Value::descriptor(), "unit"),
                 limit(paraat::v1::Label::descriptor(), "name")};
  }();
  return known;
}

bool ResultIsClean(const paraat::v1::Result& r) {
  const Known& known = KnownResultFields();
  if (!known.fields_match) return false;
  // 0: no limit of its own (check_id).
  auto ok = [](const std::string& s, size_t limit) { return (limit == 0 || s.size() <= limit) && !NeedsUtf8Escape(s); };
  if (!ok(r.check_id(), 0) || !ok(r.kind(), known.kind) || !ok(r.message(), known.message) ||
      !ok(r.output_tail(), known.tail)) {
    return false;
  }
  for (const auto& d : r.details()) {
    if (!ok(d.key(), known.key) || !ok(d.value(), known.value)) return false;
  }
  for (const auto& v : r.values()) {
    if (!ok(v.name(), known.name) || !ok(v.unit(), known.unit)) return false;
  }
  for (const auto& l : r.labels()) {
    if (!ok(l.name(), known.label) || !ok(l.value(), known.label)) return false;
  }
  return true;
}

// A copy of the generated descriptors with every string field turned into bytes: the same wire
// format, without protobuf's UTF-8 check, so an older agent's batch parses.
class LenientPool {
 public:
  static LenientPool& Get() {
    static LenientPool* pool = new LenientPool();
    return *pool;
  }
  // The lenient twin of `original`, or null.
  const Message* Prototype(const Descriptor* original) {
    std::lock_guard<std::mutex> lock(mu_);
    const Descriptor* d = pool_.FindMessageTypeByName(original->full_name());
    if (d == nullptr && AddFile(original->file())) d = pool_.FindMessageTypeByName(original->full_name());
    return d == nullptr ? nullptr : factory_.GetPrototype(d);
  }

 private:
  LenientPool() : factory_(&pool_) {}
  bool AddFile(const google::protobuf::FileDescriptor* file) {
    if (pool_.FindFileByName(file->name()) != nullptr) return true;
    for (int i = 0; i < file->dependency_count(); ++i) {
      if (!AddFile(file->dependency(i))) return false;
    }
    google::protobuf::FileDescriptorProto proto;
    file->CopyTo(&proto);
    for (auto& m : *proto.mutable_message_type()) ToBytes(&m);
    return pool_.BuildFile(proto) != nullptr;
  }
  static void ToBytes(google::protobuf::DescriptorProto* m) {
    const bool map_entry = m->options().map_entry();
    for (auto& f : *m->mutable_field()) {
      if (f.type() != google::protobuf::FieldDescriptorProto::TYPE_STRING) continue;
      if (map_entry && f.number() == 1) continue;  // map keys must stay strings
      f.set_type(google::protobuf::FieldDescriptorProto::TYPE_BYTES);
    }
    for (auto& nested : *m->mutable_nested_type()) ToBytes(&nested);
  }

  std::mutex mu_;
  DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_;
};

}  // namespace

bool ResultFastPathActive() { return KnownResultFields().fields_match; }

void PrepareForWire(Message* message) {
  const auto* result = google::protobuf::DynamicCastToGenerated<paraat::v1::Result>(message);
  if (result != nullptr && ResultIsClean(*result)) return;
  WalkAll(message, {true, true});
}

void CapForWire(Message* message) { WalkAll(message, {false, true}); }

bool ParseEscapingInvalidUtf8(absl::string_view bytes, Message* out) {
  if (out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return true;
  const Message* prototype = LenientPool::Get().Prototype(out->GetDescriptor());
  if (prototype == nullptr) return false;
  std::unique_ptr<Message> lenient(prototype->New());
  if (!lenient->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  WalkAll(lenient.get(), {true, false});
  return out->ParseFromString(lenient->SerializeAsString());
}

}  // namespace paraat
