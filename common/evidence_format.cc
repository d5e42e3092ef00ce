#include "common/evidence_format.h"

#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base64.h"
#include "common/status_macros.h"
#include "common/timestamp.h"
#include "nlohmann/json.hpp"

namespace paraat {
namespace {

using nlohmann::json;

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("\"", field, "\": ", problem));
}

// nlohmann's parser keeps its own stack, but deep nesting still costs memory and time: the
// formats here nest two levels, so anything deeper is refused before parsing.
bool ShallowEnough(absl::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

absl::StatusOr<json> ParseObject(absl::string_view text, size_t max_size, absl::string_view what) {
  if (text.size() > max_size) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is ", text.size(), " bytes, more than ", max_size));
  }
  if (!ShallowEnough(text, 2)) return absl::InvalidArgumentError(absl::StrCat(what, " is nested too deeply"));
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON"));
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, " is not a JSON object"));
  return j;
}

absl::Status OnlyKnownKeys(const json& j, std::initializer_list<absl::string_view> keys) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (absl::string_view k : keys) known = known || it.key() == k;
    if (!known) return FieldError(it.key(), "unknown field");
  }
  return absl::OkStatus();
}

absl::StatusOr<const std::string*> StringField(const json& j, absl::string_view key, bool required = true) {
  auto it = j.find(std::string(key));
  if (it == j.end()) {
    if (!required) return nullptr;
    return FieldError(key, "missing");
  }
  if (!it->is_string()) return FieldError(key, "must be a string");
  return it->get_ptr<const std::string*>();
}

absl::StatusOr<std::string> Base64Field(const json& j, absl::string_view key, size_t max_bytes, bool required = true) {
  PARAAT_ASSIGN_OR_RETURN(const std::string* s, StringField(j, key, required));
  std::string out;
  if (s == nullptr) return out;
  if (s->size() / 4 * 3 > max_bytes + 2) return FieldError(key, absl::StrCat("longer than ", max_bytes, " bytes"));
  if (!Base64Decode(*s, &out)) return FieldError(key, "not canonical base64");
  if (out.size() > max_bytes) return FieldError(key, absl::StrCat("longer than ", max_bytes, " bytes"));
  return out;
}

absl::StatusOr<uint64_t> UintField(const json& j, absl::string_view key, uint64_t max) {
  auto it = j.find(std::string(key));
  if (it == j.end()) return FieldError(key, "missing");
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
    return FieldError(key, "must be a non-negative integer");
  }
  const uint64_t v = it->get<uint64_t>();
  if (v > max) return FieldError(key, absl::StrCat("larger than ", max));
  return v;
}

// The fast path for the one object parsed a million times per export: a flat JSON object of
// strings without escapes and non-negative integers, as SidecarWriter and ProofToJson write
// it (whitespace allowed). It accepts a subset of what the general parser does and yields the
// same result; anything else (escapes, duplicates, other types, errors) goes to the general
// parser, which then decides and explains.
bool SkipWs(absl::string_view s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r' || s[*i] == '\n')) ++*i;
  return *i < s.size();
}

bool FlatString(absl::string_view s, size_t* i, absl::string_view* out) {
  if (s[*i] != '"') return false;
  const size_t start = ++*i;
  while (*i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[*i]);
    if (c == '"') {
      *out = s.substr(start, *i - start);
      ++*i;
      return true;
    }
    if (c == '\\' || c < 0x20 || c >= 0x80) return false;  // escapes, control, non-ASCII: general parser
    ++*i;
  }
  return false;
}

bool FlatNumber(absl::string_view s, size_t* i, uint64_t* out) {
  const size_t start = *i;
  uint64_t v = 0;
  while (*i < s.size() && s[*i] >= '0' && s[*i] <= '9') {
    const uint64_t d = static_cast<uint64_t>(s[*i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
    ++*i;
  }
  if (*i == start || (s[start] == '0' && *i - start > 1)) return false;
  if (*i < s.size() && (s[*i] == '.' || s[*i] == 'e' || s[*i] == 'E')) return false;
  *out = v;
  return true;
}

bool FastProof(absl::string_view s, absl::string_view extra_key, uint64_t* extra, RecordProof* p) {
  if (s.size() > kMaxProofText) return false;
  size_t i = 0;
  if (!SkipWs(s, &i) || s[i++] != '{') return false;
  bool have_index = false, have_leaf = false, have_path = false, have_extra = extra_key.empty();
  absl::string_view leaf, path;
  for (bool first = true;; first = false) {
    if (!SkipWs(s, &i)) return false;
    if (s[i] == '}' && first) return false;  // {} lacks the required fields anyway
    absl::string_view key;
    if (!FlatString(s, &i, &key) || !SkipWs(s, &i) || s[i++] != ':' || !SkipWs(s, &i)) return false;
    if (key == "leaf_index" && !have_index) {
      if (!FlatNumber(s, &i, &p->leaf_index) || p->leaf_index > kMaxTreeSize - 1) return false;
      have_index = true;
    } else if (key == "leaf" && !have_leaf) {
      if (!FlatString(s, &i, &leaf)) return false;
      have_leaf = true;
    } else if (key == "path" && !have_path) {
      if (!FlatString(s, &i, &path)) return false;
      have_path = true;
    } else if (!extra_key.empty() && key == extra_key && !have_extra) {
      if (!FlatNumber(s, &i, extra)) return false;
      have_extra = true;
    } else {
      return false;
    }
    if (!SkipWs(s, &i)) return false;
    if (s[i] == '}') break;
    if (s[i++] != ',') return false;
  }
  ++i;
  if (SkipWs(s, &i)) return false;  // trailing garbage
  if (!have_index || !have_leaf || !have_path || !have_extra) return false;
  if (!Base64Decode(leaf, &p->leaf) || p->leaf.size() > kMaxLeafData) return false;
  if (path.size() > (kMaxProofHashes * 32 + 2) / 3 * 4) return false;
  const size_t bytes = Base64DecodedSize(path);
  if (bytes == std::string::npos || bytes % 32 != 0) return false;
  p->path.resize(bytes / 32);
  return Base64DecodeTo(path, p->path.data(), bytes);
}

}  // namespace

json EvidenceToJson(const ExportEvidence& e) {
  json j = {{"format", std::string(kEvidenceFormat)},
            {"checkpoint", e.checkpoint},
            {"signature", Base64Encode(e.signature)},
            {"key_id", e.key_id}};
  if (!e.timestamp_token.empty()) j["timestamp_token"] = Base64Encode(e.timestamp_token);
  return j;
}

std::string PathBytes(absl::Span<const Digest> path) {
  std::string out(path.size() * 32, '\0');
  for (size_t i = 0; i < path.size(); ++i) std::memcpy(&out[i * 32], path[i].data(), 32);
  return out;
}

absl::StatusOr<std::vector<Digest>> PathField(const json& j) {
  PARAAT_ASSIGN_OR_RETURN(const std::string* path, StringField(j, "path"));
  if (path->size() > (kMaxProofHashes * 32 + 2) / 3 * 4) {
    return FieldError("path", absl::StrCat("more than ", kMaxProofHashes, " hashes"));
  }
  std::string bytes;
  if (!Base64Decode(*path, &bytes)) return FieldError("path", "not canonical base64");
  if (bytes.size() % 32 != 0) return FieldError("path", "not a whole number of 32-byte hashes");
  std::vector<Digest> out(bytes.size() / 32);
  for (size_t i = 0; i < out.size(); ++i) std::memcpy(out[i].data(), &bytes[i * 32], 32);
  return out;
}

json ConsistencyToJson(const ConsistencyEntry& c) {
  return {{"from_size", c.from_size},
          {"from_root", Base64Encode(DigestBytes(c.from_root))},
          {"path", Base64Encode(PathBytes(c.path))}};
}

absl::StatusOr<ConsistencyEntry> ConsistencyFromJson(const json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("consistency proof must be a JSON object");
  PARAAT_RETURN_IF_ERROR(OnlyKnownKeys(j, {"from_size", "from_root", "path"}));
  ConsistencyEntry c;
  PARAAT_ASSIGN_OR_RETURN(c.from_size, UintField(j, "from_size", kMaxTreeSize));
  PARAAT_ASSIGN_OR_RETURN(std::string root, Base64Field(j, "from_root", 32));
  if (root.size() != 32) return FieldError("from_root", "must be 32 bytes");
  std::memcpy(c.from_root.data(), root.data(), 32);
  PARAAT_ASSIGN_OR_RETURN(c.path, PathField(j));
  return c;
}

absl::StatusOr<ConsistencyEntry> ParseConsistency(absl::string_view json_text) {
  PARAAT_ASSIGN_OR_RETURN(json j, ParseObject(json_text, 8192, "consistency proof"));
  return ConsistencyFromJson(j);
}

absl::Status VerifyExtends(const Checkpoint& older, const Checkpoint& newer,
                           absl::Span<const ConsistencyEntry> entries) {
  if (older.origin != newer.origin) {
    return absl::DataLossError(
        absl::StrCat("the checkpoints are of different trees (\"", older.origin, "\" and \"", newer.origin, "\")"));
  }
  if (newer.tree_size < older.tree_size) {
    return absl::DataLossError(absl::StrCat("the store shrank: the earlier checkpoint has ", older.tree_size,
                                            " records, the newer one ", newer.tree_size));
  }
  for (const ConsistencyEntry& e : entries) {
    if (e.from_size != older.tree_size) continue;
    if (e.from_root != older.root) {
      return absl::DataLossError(absl::StrCat("the store's tree at ", older.tree_size,
                                              " records has another root than the earlier checkpoint: rewritten"));
    }
    absl::Status st = VerifyConsistency(older.tree_size, newer.tree_size, older.root, newer.root, e.path);
    if (!st.ok())
      return absl::DataLossError(absl::StrCat("not an extension of the earlier checkpoint: ", st.message()));
    return absl::OkStatus();
  }
  if (older.tree_size == newer.tree_size || older.tree_size == 0) {
    return VerifyConsistency(older.tree_size, newer.tree_size, older.root, newer.root, {});
  }
  return absl::NotFoundError(
      absl::StrCat("the newer export carries no consistency proof from tree size ", older.tree_size));
}

json ProofToJson(const RecordProof& p) {
  return {{"leaf_index", p.leaf_index}, {"leaf", Base64Encode(p.leaf)}, {"path", Base64Encode(PathBytes(p.path))}};
}

absl::StatusOr<ExportEvidence> EvidenceFromJson(const json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("\"evidence\" must be a JSON object");
  PARAAT_RETURN_IF_ERROR(OnlyKnownKeys(j, {"format", "checkpoint", "signature", "key_id", "timestamp_token"}));
  PARAAT_ASSIGN_OR_RETURN(const std::string* format, StringField(j, "format"));
  if (*format != kEvidenceFormat) {
    return FieldError("format", absl::StrCat("\"", *format, "\" is not ", kEvidenceFormat, " (a newer paraatctl?)"));
  }
  ExportEvidence e;
  PARAAT_ASSIGN_OR_RETURN(const std::string* checkpoint, StringField(j, "checkpoint"));
  if (checkpoint->size() > 2048) return FieldError("checkpoint", "longer than 2048 bytes");
  e.checkpoint = *checkpoint;
  PARAAT_ASSIGN_OR_RETURN(e.signature, Base64Field(j, "signature", 64));
  if (e.signature.size() != 64) return FieldError("signature", "must be 64 bytes (Ed25519)");
  PARAAT_ASSIGN_OR_RETURN(const std::string* key_id, StringField(j, "key_id"));
  if (key_id->size() > 64) return FieldError("key_id", "too long");
  e.key_id = *key_id;
  PARAAT_ASSIGN_OR_RETURN(e.timestamp_token, Base64Field(j, "timestamp_token", kMaxTimestampToken, false));
  return e;
}

absl::StatusOr<RecordProof> ProofFromJson(const json& j, absl::string_view extra_key, uint64_t* extra) {
  if (!j.is_object()) return absl::InvalidArgumentError("\"proof\" must be a JSON object");
  if (extra_key.empty()) {
    PARAAT_RETURN_IF_ERROR(OnlyKnownKeys(j, {"leaf_index", "leaf", "path"}));
  } else {
    PARAAT_RETURN_IF_ERROR(OnlyKnownKeys(j, {"leaf_index", "leaf", "path", extra_key}));
    PARAAT_ASSIGN_OR_RETURN(*extra, UintField(j, extra_key, std::numeric_limits<uint64_t>::max()));
  }
  RecordProof p;
  PARAAT_ASSIGN_OR_RETURN(p.leaf_index, UintField(j, "leaf_index", kMaxTreeSize - 1));
  PARAAT_ASSIGN_OR_RETURN(p.leaf, Base64Field(j, "leaf", kMaxLeafData));
  PARAAT_ASSIGN_OR_RETURN(p.path, PathField(j));
  return p;
}

absl::StatusOr<ExportEvidence> ParseEvidence(absl::string_view json_text) {
  PARAAT_ASSIGN_OR_RETURN(json j, ParseObject(json_text, kMaxEvidenceText, "\"evidence\""));
  return EvidenceFromJson(j);
}

absl::StatusOr<RecordProof> ParseRecordProof(absl::string_view json_text) {
  RecordProof p;
  if (FastProof(json_text, "", nullptr, &p)) return p;
  return ParseRecordProofGeneral(json_text);
}

absl::StatusOr<RecordProof> ParseRecordProofGeneral(absl::string_view json_text) {
  PARAAT_ASSIGN_OR_RETURN(json j, ParseObject(json_text, kMaxProofText, "\"proof\""));
  return ProofFromJson(j);
}

SidecarWriter::SidecarWriter(std::ostream& out, const ExportEvidence& evidence,
                             absl::Span<const ConsistencyEntry> consistency)
    : out_(out) {
  out_ << EvidenceToJson(evidence).dump() << '\n';
  for (const ConsistencyEntry& c : consistency) out_ << ConsistencyToJson(c).dump() << '\n';
}

void SidecarWriter::Add(uint64_t seq, const RecordProof& proof) {
  json j = ProofToJson(proof);
  j["seq"] = seq;
  out_ << j.dump() << '\n';
}

absl::StatusOr<bool> SidecarReader::ReadLine() {
  // Lines are cut from a large buffer refilled by block reads: a character at a time through
  // the stream costs more than parsing.
  while (true) {
    const size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      line_start_ = pos_;
      line_size_ = nl - pos_;
      pos_ = nl + 1;
      break;
    }
    if (buf_.size() - pos_ > kMaxProofText) {
      return absl::InvalidArgumentError(
          absl::StrCat("sidecar line ", line_number_ + 1, " is longer than ", kMaxProofText, " bytes"));
    }
    buf_.erase(0, pos_);
    pos_ = 0;
    if (eof_) {
      if (buf_.empty()) return false;
      line_start_ = 0;
      line_size_ = buf_.size();
      pos_ = buf_.size();
      break;
    }
    const size_t have = buf_.size();
    buf_.resize(have + kReadBlock);
    in_->read(&buf_[have], kReadBlock);
    buf_.resize(have + static_cast<size_t>(in_->gcount()));
    if (in_->bad()) return absl::DataLossError(absl::StrCat("cannot read sidecar line ", line_number_ + 1));
    eof_ = in_->eof();
  }
  ++line_number_;
  return true;
}

absl::StatusOr<SidecarReader> SidecarReader::Open(std::istream& in) {
  SidecarReader r(in);
  PARAAT_ASSIGN_OR_RETURN(bool got, r.ReadLine());
  if (!got) return absl::InvalidArgumentError("sidecar is empty");
  auto e = ParseEvidence(r.line());
  if (!e.ok()) return absl::InvalidArgumentError(absl::StrCat("sidecar line 1: ", e.status().message()));
  r.evidence_ = *std::move(e);
  // Consistency lines, recognised by their first key ("from_root" as the writer sorts them), until the first
  // record line (which is then read again by Next).
  while (true) {
    PARAAT_ASSIGN_OR_RETURN(bool more, r.ReadLine());
    if (!more) break;
    if (!absl::StartsWith(r.line(), "{\"from_")) {
      r.pending_ = true;
      break;
    }
    auto c = ParseConsistency(r.line());
    if (!c.ok())
      return absl::InvalidArgumentError(absl::StrCat("sidecar line ", r.line_number_, ": ", c.status().message()));
    if (r.consistency_.size() >= kMaxConsistencyEntries)
      return absl::InvalidArgumentError("too many consistency proofs");
    r.consistency_.push_back(*std::move(c));
  }
  return r;
}

absl::StatusOr<bool> SidecarReader::Next(uint64_t* seq, RecordProof* proof) {
  if (pending_) {
    pending_ = false;
  } else {
    PARAAT_ASSIGN_OR_RETURN(bool got, ReadLine());
    if (!got) return false;
  }
  if (FastProof(line(), "seq", seq, proof)) return true;
  auto j = ParseObject(line(), kMaxProofText, "record proof");
  absl::StatusOr<RecordProof> p = j.ok() ? ProofFromJson(*j, "seq", seq) : j.status();
  if (!p.ok())
    return absl::InvalidArgumentError(absl::StrCat("sidecar line ", line_number_, ": ", p.status().message()));
  *proof = *std::move(p);
  return true;
}

absl::StatusOr<ExportVerifier> ExportVerifier::Create(const ExportEvidence& evidence,
                                                      const ExportVerifyOptions& options) {
  if (options.keys == nullptr || options.keys->empty()) {
    return absl::InvalidArgumentError("no trusted public key to verify the checkpoint with");
  }
  PARAAT_ASSIGN_OR_RETURN(Checkpoint c, VerifyCheckpoint(evidence.checkpoint, evidence.signature, *options.keys));
  if (c.key_id != evidence.key_id) {
    return absl::DataLossError(
        absl::StrCat("\"key_id\" ", evidence.key_id, " is not the checkpoint's signing key ", c.key_id));
  }
  ExportVerifier v(c);
  if (!options.tsa_ca_file.empty()) {
    if (evidence.timestamp_token.empty()) return absl::DataLossError("the checkpoint has no time-stamp token");
    PARAAT_ASSIGN_OR_RETURN(absl::Time t,
                            VerifyTimestampToken(evidence.timestamp_token, evidence.checkpoint, options.tsa_ca_file));
    v.timestamp_ = t;
  }
  return v;
}

}  // namespace paraat
