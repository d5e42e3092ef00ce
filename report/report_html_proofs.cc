#include "report/report_html_proofs.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/html.h"
#include "common/merkle.h"
#include "common/sha256.h"
#include "report/evidence_proof.h"

namespace paraat {
namespace {

std::string E(const std::string& s) { return HtmlEscape(s); }

constexpr char kProofFile[] = "report.proof.jsonl";

// The checkpoint, its consistency proofs and the cited records' proofs, as SidecarWriter writes
// a CSV export's sidecar: what `paraatctl evidence verify --export report.proof.jsonl` reads.
std::string ProofFile(const ReportModel& m) {
  const auto& c = m.header().checkpoint();
  std::ostringstream out;
  SidecarWriter sidecar(out, EvidenceOf(c), ConsistencyOf(c));
  for (const auto& [seq, proof] : m.proofs()) sidecar.Add(seq, proof);
  return out.str();
}

}  // namespace

std::string RecordLink(const ReportModel& m, uint64_t seq) {
  if (!m.proofs().count(seq)) return absl::StrCat(seq);
  return absl::StrCat("<a href='#record-", seq, "'>", seq, "</a>");
}

void RenderProofAppendix(const ReportModel& m, const Localizer& l, std::string& h) {
  if (!m.header().has_checkpoint()) return;
  absl::StrAppend(&h, "<h2 id='proofs'>", E(l.T("report.proofs")), "</h2>\n<p>",
                  l.F("report.proofs.intro", {{"file", absl::StrCat("<code>", kProofFile, "</code>")},
                                              {"command", absl::StrCat("<code>paraatctl evidence verify --export ",
                                                                       kProofFile, " --trust collector.pub</code>")}}),
                  "</p>\n");
  if (!m.proofs().empty()) {
    absl::StrAppend(&h, "<table><tr><th>", E(l.T("report.proofs.col.record")), "</th><th>",
                    E(l.T("report.proofs.col.leaf_index")), "</th><th>", E(l.T("report.proofs.col.leaf_hash")),
                    "</th><th>", E(l.T("report.proofs.col.path")), "</th></tr>\n");
    MerkleHasher hasher;
    for (const auto& [seq, proof] : m.proofs()) {
      absl::StrAppend(&h, "<tr id='record-", seq, "'><td>", seq, "</td><td>", proof.leaf_index, "</td><td><code>",
                      ToHex(hasher.HashLeaf(proof.leaf)), "</code></td><td><details><summary>",
                      E(l.Count("report.proofs.hashes", proof.path.size())), "</summary><code>");
      for (size_t i = 0; i < proof.path.size(); ++i) absl::StrAppend(&h, i ? "<br>" : "", ToHex(proof.path[i]));
      h += "</code></details></td></tr>\n";
    }
    h += "</table>\n";
  }
  absl::StrAppend(&h, "<details><summary>", E(l.T("report.proofs.file")), "</summary><pre class='proof'>",
                  E(ProofFile(m)), "</pre></details>\n");
}

}  // namespace paraat
