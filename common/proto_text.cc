#include "common/proto_text.h"

#include <memory>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/text.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"

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

struct Walk {
  bool escape;
  bool cap;
  // Whether a field holds text: string fields, and in the lenient pool the bytes fields that
  // stand for them.
  bool (*is_text)(const FieldDescriptor*);
};

bool IsString(const FieldDescriptor* f) { return f->type() == FieldDescriptor::TYPE_STRING; }

// Escapes and caps one string; `raw` (may be null) receives the exact bytes when cut.
void FixString(std::string* value, const FieldDescriptor* f, const Walk& walk, std::string* raw) {
  std::string original;
  const Limit* limit = nullptr;
  if (walk.cap) {
    auto it = Limits().find(f);
    if (it != Limits().end()) limit = &it->second;
  }
  if (limit != nullptr && raw != nullptr) original = *value;
  if (walk.escape) EscapeUtf8InPlace(value);
  if (limit != nullptr && Cut(value, *limit) && raw != nullptr && raw->empty()) {
    *raw = original.substr(0, limit->max_bytes);
  }
}

bool NeedsFix(const std::string& v, const FieldDescriptor* f, const Walk& walk) {
  if (walk.escape && NeedsUtf8Escape(v)) return true;
  if (!walk.cap) return false;
  const size_t limit = WireLimit(f);
  return limit != 0 && v.size() > limit;
}

// The `bytes raw_<name>` field beside string field `f`, where the exact bytes go when it is cut.
const FieldDescriptor* RawSibling(const Descriptor* d, const FieldDescriptor* f) {
  const FieldDescriptor* raw = d->FindFieldByName("raw_" + f->name());
  if (raw == nullptr || raw->type() != FieldDescriptor::TYPE_BYTES || raw->is_repeated()) return nullptr;
  return raw;
}

void WalkMessage(Message* m, const Walk& walk) {
  const Descriptor* d = m->GetDescriptor();
  const Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0, n = r->FieldSize(*m, f); k < n; ++k) WalkMessage(r->MutableRepeatedMessage(m, f, k), walk);
      } else if (r->HasField(*m, f)) {
        WalkMessage(r->MutableMessage(m, f), walk);
      }
      continue;
    }
    if (!walk.is_text(f)) continue;
    std::string scratch;
    if (f->is_repeated()) {
      for (int k = 0, n = r->FieldSize(*m, f); k < n; ++k) {
        const std::string& v = r->GetRepeatedStringReference(*m, f, k, &scratch);
        if (!NeedsFix(v, f, walk)) continue;
        std::string fixed = v;
        FixString(&fixed, f, walk, nullptr);
        r->SetRepeatedString(m, f, k, std::move(fixed));
      }
      continue;
    }
    if (!r->HasField(*m, f)) continue;
    const std::string& v = r->GetStringReference(*m, f, &scratch);
    if (!NeedsFix(v, f, walk)) continue;
    const FieldDescriptor* raw_field = RawSibling(d, f);
    std::string raw = raw_field != nullptr ? r->GetString(*m, raw_field) : std::string();
    std::string fixed = v;
    FixString(&fixed, f, walk, raw_field != nullptr ? &raw : nullptr);
    r->SetString(m, f, std::move(fixed));
    if (!raw.empty()) r->SetString(m, raw_field, std::move(raw));
  }
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

// In the lenient pool: a bytes field that is a string in the generated one.
bool StandsForString(const FieldDescriptor* f) {
  if (f->type() != FieldDescriptor::TYPE_BYTES) return false;
  const FieldDescriptor* original = DescriptorPool::generated_pool()->FindFieldByName(f->full_name());
  return original != nullptr && original->type() == FieldDescriptor::TYPE_STRING;
}

}  // namespace

void PrepareForWire(Message* message) { WalkMessage(message, Walk{true, true, IsString}); }

void CapForWire(Message* message) { WalkMessage(message, Walk{false, true, IsString}); }

bool ParseEscapingInvalidUtf8(absl::string_view bytes, Message* out) {
  if (out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return true;
  const Message* prototype = LenientPool::Get().Prototype(out->GetDescriptor());
  if (prototype == nullptr) return false;
  std::unique_ptr<Message> lenient(prototype->New());
  if (!lenient->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  WalkMessage(lenient.get(), Walk{true, false, StandsForString});
  return out->ParseFromString(lenient->SerializeAsString());
}

}  // namespace paraat
