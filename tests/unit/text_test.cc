// Strings that are always valid UTF-8 with nothing lost, and text that cannot act (issue 13):
// the reversible escape, cuts on character boundaries, what terminals and logs are shown, and
// every string field of every message the agent sends, fed bytes that are not UTF-8.
#include "common/text.h"

#include <random>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "collector/ingest/validation.h"
#include "common/proto_text.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "paraat/v1/agent.pb.h"

namespace paraat {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

TEST(EscapeUtf8, ValidTextIsUnchangedAndEveryOtherByteIsEscaped) {
  const std::pair<std::string, std::string> cases[] = {
      {"plain ascii", "plain ascii"},
      {"café ✓ 𝄞", "café ✓ 𝄞"},                                    // valid UTF-8 of every length
      {"caf\xe9.dump", "caf\\xE9.dump"},                           // Latin-1
      {"C:\\backup\\n\\t", "C:\\backup\\n\\t"},                    // backslashes that read as no escape stay
      {"\\xE9", "\\\\xE9"},                                        // text that would read as an escape
      {"\\\\", "\\\\\\"},                                          // a backslash before a backslash
      {"\\\xe9", "\\\\\\xE9"},                                     // a backslash before an escaped byte
      {"end\\", "end\\"},                                          // a lone backslash at the end
      {"\xc3", "\\xC3"},                                           // a character cut in half
      {"\xc0\xaf", "\\xC0\\xAF"},                                  // overlong '/'
      {"\xed\xa0\x80", "\\xED\\xA0\\x80"},                         // a surrogate
      {"\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"},                // above U+10FFFF
      {std::string("nul\0byte", 8), std::string("nul\0byte", 8)},  // NUL is valid UTF-8
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(EscapeUtf8(in), want) << absl::CEscape(in);
    EXPECT_EQ(NeedsUtf8Escape(in), in != want) << absl::CEscape(in);
    EXPECT_TRUE(IsValidUtf8(EscapeUtf8(in))) << absl::CEscape(in);
    EXPECT_EQ(UnescapeUtf8(EscapeUtf8(in)), in) << absl::CEscape(in);
  }
  EXPECT_EQ(UnescapeUtf8("caf\\xe9"), "caf\xe9");  // either case decodes
}

// Random bytes from an alphabet rich in what makes escaping hard.
std::string RandomBytes(std::mt19937& rng) {
  static const std::string alphabet =
      std::string("\\\\\\xxX0aF9g\xe9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x80\xff") + std::string(1, '\0') + "\n\x1b";
  std::uniform_int_distribution<int> len(0, 24), pick(0, static_cast<int>(alphabet.size()) - 1), any(0, 255);
  std::string s;
  for (int i = len(rng); i > 0; --i) s.push_back(i % 7 == 0 ? static_cast<char>(any(rng)) : alphabet[pick(rng)]);
  return s;
}

// The same verdict as protobuf's own check of string fields.
bool ProtobufAccepts(const std::string& s) {
  v1::Detail d;
  d.set_value(s);
  v1::Detail back;
  return back.ParseFromString(d.SerializeAsString());
}

TEST(EscapeUtf8, RoundTripsAndAgreesWithProtobuf) {
  google::protobuf::LogSilencer quiet;  // protobuf logs each invalid string it serializes
  std::mt19937 rng(13);
  for (int i = 0; i < 20000; ++i) {
    const std::string s = RandomBytes(rng);
    const std::string e = EscapeUtf8(s);
    ASSERT_EQ(UnescapeUtf8(e), s) << absl::CEscape(s) << " -> " << absl::CEscape(e);
    ASSERT_TRUE(ProtobufAccepts(e)) << absl::CEscape(s);
    ASSERT_EQ(IsValidUtf8(s), ProtobufAccepts(s)) << absl::CEscape(s);
  }
}

TEST(Truncation, CutsOnCharacterAndEscapeBoundaries) {
  const std::string s = "ab\xc3\xa9\xe2\x82\xac";  // "abé€"
  EXPECT_EQ(Utf8Prefix(s, 3), "ab");
  EXPECT_EQ(Utf8Prefix(s, 4), "ab\xc3\xa9");
  EXPECT_EQ(Utf8Prefix(s, 6), "ab\xc3\xa9");
  EXPECT_EQ(Utf8Suffix(s, 2), "");
  EXPECT_EQ(Utf8Suffix(s, 4), "\xe2\x82\xac");
  EXPECT_EQ(Utf8Suffix(s, 5), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(TruncateUtf8(s, 6, "..."), "ab...");
  EXPECT_EQ(TruncateUtf8("short", 6, "..."), "short");
  const std::string e = EscapeUtf8("a\xe9\\\\b");  // a\xE9\\\b
  EXPECT_EQ(EscapedPrefix(e, 3), "a");
  EXPECT_EQ(EscapedPrefix(e, 5), "a\\xE9");
  EXPECT_EQ(EscapedPrefix(e, 6), "a\\xE9");
  EXPECT_EQ(EscapedSuffix(e, 3), "\\b");
  EXPECT_EQ(EscapedSuffix(e, 4), "\\\\\\b");
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    const std::string raw = RandomBytes(rng);
    const std::string esc = EscapeUtf8(raw);
    for (size_t max = 0; max <= esc.size(); ++max) {
      // A cut of escaped text is itself escaped text: it decodes to a prefix (suffix) of the bytes.
      const std::string p(EscapedPrefix(esc, max)), q(EscapedSuffix(esc, max));
      ASSERT_LE(p.size(), max);
      ASSERT_LE(q.size(), max);
      ASSERT_TRUE(IsValidUtf8(p) && IsValidUtf8(q)) << absl::CEscape(esc) << " " << max;
      ASSERT_EQ(raw.compare(0, UnescapeUtf8(p).size(), UnescapeUtf8(p)), 0) << absl::CEscape(esc) << " " << max;
    }
  }
}

TEST(Display, ControlsAreShownNotActedOn) {
  EXPECT_EQ(ForTerminal("\x1b]0;pwned\x07\x1b[2Jtext"), "\\x1B]0;pwned\\x07\\x1B[2Jtext");
  EXPECT_EQ(ForTerminal("two\nlines\tand tab\r\x7f"), "two\nlines\tand tab\\r\\x7F");
  EXPECT_EQ(OneLine("two\nlines\n"), "two⏎lines");
  EXPECT_EQ(OneLine("caf\xe9"), "caf\\xE9");  // not UTF-8
  EXPECT_EQ(OneLine("\xc2\x9b"
                    "31m"),
            "\\u009B31m");  // C1 CSI
  EXPECT_EQ(OneLine("\xe2\x80\xae"
                    "evil"),
            "\\u202Eevil");  // right-to-left override
  EXPECT_EQ(OneLine("a\xe2\x80\xa8"
                    "b"),
            "a\\u2028b");                                  // line separator
  EXPECT_EQ(OneLine("café ✓ ⏎ \\x41"), "café ✓ ⏎ \\x41");  // ordinary text stays
  EXPECT_EQ(OneLine(std::string(100, 'a')), std::string(100, 'a'));
}

// Sets every string field of `m` and its sub-messages (two of each repeated one) to `value`
// plus the field's path, recording what it set; returns the paths.
void FillStrings(Message* m, const std::string& value, const std::string& path,
                 std::map<std::string, std::string>* set) {
  const Descriptor* d = m->GetDescriptor();
  const Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string at = absl::StrCat(path, ".", f->name());
    if (f->containing_oneof() != nullptr && f->containing_oneof()->field(0) != f) continue;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < 2; ++k) FillStrings(r->AddMessage(m, f), value, absl::StrCat(at, "[", k, "]"), set);
      } else {
        FillStrings(r->MutableMessage(m, f), value, at, set);
      }
    } else if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int k = 0; k < 2; ++k) {
          r->AddString(m, f, value + std::to_string(k));
          (*set)[absl::StrCat(at, "[", k, "]")] = value + std::to_string(k);
        }
      } else {
        r->SetString(m, f, value);
        (*set)[at] = value;
      }
    }
  }
}

// Every string field's value, by the same paths.
void ReadStrings(const Message& m, const std::string& path, std::map<std::string, std::string>* got) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string at = absl::StrCat(path, ".", f->name());
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k)
          ReadStrings(r->GetRepeatedMessage(m, f, k), absl::StrCat(at, "[", k, "]"), got);
      } else if (r->HasField(m, f)) {
        ReadStrings(r->GetMessage(m, f), at, got);
      }
    } else if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k)
          (*got)[absl::StrCat(at, "[", k, "]")] = r->GetRepeatedString(m, f, k);
      } else if (r->HasField(m, f)) {
        (*got)[at] = r->GetString(m, f);
      }
    }
  }
}

// Short enough that its escaped form (13 bytes) fits every field's limit, even a unit's (16).
const std::string kBadBytes = "\xe9\\x41\xc3";

// The messages an agent sends: the hello, and a batch of results with gaps.
void ExpectEveryStringFieldRoundTrips(Message* m) {
  google::protobuf::LogSilencer quiet;
  std::map<std::string, std::string> sent;
  FillStrings(m, kBadBytes, m->GetDescriptor()->name(), &sent);
  // Sanity: as sent today, without the edge function, the message does not parse back.
  std::unique_ptr<Message> back(m->New());
  EXPECT_FALSE(back->ParseFromString(m->SerializeAsString()));

  PrepareForWire(m);
  ASSERT_TRUE(back->ParseFromString(m->SerializeAsString()));
  std::map<std::string, std::string> got;
  ReadStrings(*back, m->GetDescriptor()->name(), &got);
  ASSERT_EQ(got.size(), sent.size());
  for (const auto& [path, value] : sent) {
    EXPECT_TRUE(IsValidUtf8(got[path])) << path;
    EXPECT_EQ(UnescapeUtf8(got[path]), value) << path << " holds " << absl::CEscape(got[path]);
  }
}

TEST(PrepareForWire, EveryStringFieldOfTheHelloRoundTrips) {
  v1::Hello hello;
  ExpectEveryStringFieldRoundTrips(&hello);
  std::map<std::string, std::string> fields;
  ReadStrings(hello, "Hello", &fields);
  for (const char* f : {"Hello.agent_id", "Hello.version", "Hello.hostname", "Hello.labels[1].value",
                        "Hello.checks[0].id", "Hello.checks[1].kind"}) {
    EXPECT_EQ(fields.count(f), 1u) << f;
  }
}

TEST(PrepareForWire, EveryStringFieldOfAResultBatchRoundTrips) {
  v1::ResultBatch batch;
  ExpectEveryStringFieldRoundTrips(&batch);
  std::map<std::string, std::string> fields;
  ReadStrings(batch, "ResultBatch", &fields);
  for (const char* f :
       {"ResultBatch.results[0].check_id", "ResultBatch.results[0].message", "ResultBatch.results[1].output_tail",
        "ResultBatch.results[0].details[1].key", "ResultBatch.results[0].details[1].value",
        "ResultBatch.results[1].values[0].name", "ResultBatch.results[1].values[0].unit",
        "ResultBatch.results[0].labels[0].name", "ResultBatch.gaps[1].reason"}) {
    EXPECT_EQ(fields.count(f), 1u) << f;
  }
}

// Every string leaf of a message: the message holding it, the field, its index (-1: singular).
struct Leaf {
  Message* message;
  const FieldDescriptor* field;
  int index;
};
void Leaves(Message* m, std::vector<Leaf>* out) {
  const Reflection* r = m->GetReflection();
  const Descriptor* d = m->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(*m, f); ++k) Leaves(r->MutableRepeatedMessage(m, f, k), out);
      } else if (r->HasField(*m, f)) {
        Leaves(r->MutableMessage(m, f), out);
      }
    } else if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (!f->is_repeated()) out->push_back({m, f, -1});
      for (int k = 0; f->is_repeated() && k < r->FieldSize(*m, f); ++k) out->push_back({m, f, k});
    }
  }
}

// The check a clean result takes (generated accessors) must miss no field: each one alone.
TEST(PrepareForWire, EachStringFieldOfAResultAloneIsFound) {
  EXPECT_TRUE(ResultFastPathActive()) << "a string field was added to Result or its parts: add it to ResultIsClean";
  v1::Result clean;
  std::map<std::string, std::string> sent;
  FillStrings(&clean, "ok", "r", &sent);
  std::vector<Leaf> count;
  Leaves(&clean, &count);
  ASSERT_GE(count.size(), 10u);
  google::protobuf::LogSilencer quiet;
  for (size_t i = 0; i < count.size(); ++i) {
    v1::Result r = clean;
    std::vector<Leaf> leaves;
    Leaves(&r, &leaves);
    const Leaf& l = leaves[i];
    if (l.index < 0) {
      l.message->GetReflection()->SetString(l.message, l.field, kBadBytes);
    } else {
      l.message->GetReflection()->SetRepeatedString(l.message, l.field, l.index, kBadBytes);
    }
    PrepareForWire(&r);
    v1::Result back;
    EXPECT_TRUE(back.ParseFromString(r.SerializeAsString())) << l.field->full_name();
  }
  // And each one too long alone.
  for (size_t i = 0; i < count.size(); ++i) {
    v1::Result r = clean;
    std::vector<Leaf> leaves;
    Leaves(&r, &leaves);
    const Leaf& l = leaves[i];
    const size_t limit = WireLimit(l.field);
    if (limit == 0) continue;
    l.message->GetReflection()->SetString(l.message, l.field, std::string(limit + 1, 'x'));
    PrepareForWire(&r);
    std::vector<Leaf> after;
    Leaves(&r, &after);
    EXPECT_LE(after[i].message->GetReflection()->GetString(*after[i].message, after[i].field).size(), limit)
        << l.field->full_name();
  }
}

TEST(PrepareForWire, TheCollectorAcceptsWhatTheEdgeMade) {
  google::protobuf::LogSilencer quiet;
  v1::AgentMessage m;
  v1::ResultBatch* batch = m.mutable_batch();
  std::map<std::string, std::string> sent;
  FillStrings(batch, kBadBytes, "b", &sent);
  batch->set_sequence(1);
  for (auto& r : *batch->mutable_results()) {
    r.set_check_id("dump");
    r.set_status(v1::CHECK_STATUS_OK);
    r.set_started_unix_ns(1);
  }
  for (auto& g : *batch->mutable_gaps()) g.set_last_sequence(g.first_sequence());
  PrepareForWire(&m);
  EXPECT_TRUE(ValidateBatch(*batch, IngestLimits()).ok()) << ValidateBatch(*batch, IngestLimits());
  v1::Hello hello;
  FillStrings(&hello, kBadBytes, "h", &sent);
  hello.set_agent_id("db-01");
  for (auto& c : *hello.mutable_checks()) c.set_id("dump");
  PrepareForWire(&hello);
  EXPECT_TRUE(ValidateHello(hello, IngestLimits()).ok()) << ValidateHello(hello, IngestLimits());
}

// Each field the edge cuts, with the collector's limit for it (collector/validation.h).
TEST(PrepareForWire, LimitsAreTheCollectorsAndTooLongTextIsCutNotRefused) {
  const IngestLimits limits;
  const std::pair<const char*, size_t> expected[] = {
      {"paraat.v1.Result.kind", limits.max_kind},
      {"paraat.v1.Result.message", limits.max_message},
      {"paraat.v1.Result.output_tail", limits.max_output_tail},
      {"paraat.v1.Detail.key", limits.max_id},
      {"paraat.v1.Detail.value", limits.max_detail_value},
      {"paraat.v1.Value.name", limits.max_id},
      {"paraat.v1.Value.unit", 16},
      {"paraat.v1.Label.name", limits.max_label},
      {"paraat.v1.Label.value", limits.max_label},
      {"paraat.v1.Hello.version", limits.max_id},
      {"paraat.v1.Hello.hostname", 255},
      {"paraat.v1.CheckInfo.kind", limits.max_kind},
      {"paraat.v1.Gap.reason", limits.max_message},
  };
  for (const auto& [name, max] : expected) {
    const FieldDescriptor* f = google::protobuf::DescriptorPool::generated_pool()->FindFieldByName(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(WireLimit(f), max) << name;
    EXPECT_GE(max, 16u) << "PrepareForWire looks no limit up for strings of 16 bytes or less";
  }

  google::protobuf::LogSilencer quiet;
  v1::ResultBatch batch;
  batch.set_sequence(1);
  v1::Result* r = batch.add_results();
  r->set_check_id("dump");
  r->set_kind("file_backup");
  r->set_status(v1::CHECK_STATUS_OK);
  r->set_started_unix_ns(1);
  // 4,000 Latin-1 bytes: 16,000 once escaped, four times a detail value's limit.
  const std::string path = "/backups/" + std::string(4000, '\xe9') + ".dump";
  r->add_details()->set_key("file");
  r->mutable_details(0)->set_value(path);
  r->set_output_tail(std::string(8000, '\xff') + "the end");
  auto* v = r->add_values();
  v->set_name(std::string(100, '\xe9'));
  v->set_unit("\xb0\xb0\xb0\xb0\xb0");
  PrepareForWire(&batch);
  EXPECT_TRUE(ValidateBatch(batch, limits).ok()) << ValidateBatch(batch, limits);
  const v1::Detail& d = r->details(0);
  EXPECT_LE(d.value().size(), limits.max_detail_value);
  EXPECT_THAT(d.value(), ::testing::StartsWith("/backups/\\xE9"));
  EXPECT_THAT(d.value(), ::testing::EndsWith("\\xE9…"));
  EXPECT_EQ(d.raw_value(), path) << "the exact name, where the escaped one did not fit";
  EXPECT_THAT(r->output_tail(), ::testing::StartsWith("…\\xFF"));
  EXPECT_THAT(r->output_tail(), ::testing::EndsWith("\\xFFthe end"));
  EXPECT_LE(r->output_tail().size(), limits.max_output_tail);
  EXPECT_LE(r->values(0).unit().size(), 16u);
  v1::ResultBatch back;
  EXPECT_TRUE(back.ParseFromString(batch.SerializeAsString()));
}

TEST(ParseEscapingInvalidUtf8, ReadsWhatAnOlderAgentWrote) {
  google::protobuf::LogSilencer quiet;
  v1::ResultBatch old;
  std::map<std::string, std::string> sent;
  FillStrings(&old, kBadBytes, "b", &sent);
  const std::string bytes = old.SerializeAsString();
  v1::ResultBatch strict;
  ASSERT_FALSE(strict.ParseFromString(bytes));
  v1::ResultBatch back;
  ASSERT_TRUE(ParseEscapingInvalidUtf8(bytes, &back));
  std::map<std::string, std::string> got;
  ReadStrings(back, "b", &got);
  ASSERT_EQ(got.size(), sent.size());
  for (const auto& [path, value] : sent) EXPECT_EQ(UnescapeUtf8(got[path]), value) << path;
  EXPECT_EQ(back.results(1).facts().DebugString(), old.results(1).facts().DebugString());
  // What is not a batch at all stays refused.
  EXPECT_FALSE(ParseEscapingInvalidUtf8(bytes.substr(0, bytes.size() / 2), &back));
  EXPECT_FALSE(ParseEscapingInvalidUtf8("\xff\xff\xff garbage", &back));
}

}  // namespace
}  // namespace paraat
