// The evidence page's downloads: the query API's export (EvidenceExport) streamed through the
// sinks paraatctl uses (report/export.h) into the HTTP response. The export runs on a thread of
// its own and writes into a bounded pipe the response reads from, so a download of a million
// records holds a megabyte, not the file; a browser that goes away stops the export.
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <thread>

#include "absl/strings/str_cat.h"
#include "collector/serving/console/console.h"
#include "common/time_util.h"
#include "report/export.h"

namespace paraat {

using console::Caller;

namespace {

// A one-writer, one-reader byte pipe of bounded size.
class Pipe {
 public:
  // False once the reader is gone.
  bool Write(const char* data, size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    while (n > 0) {
      cv_.wait(lock, [&] { return buf_.size() < kCapacity || reader_gone_; });
      if (reader_gone_) return false;
      const size_t take = std::min(n, kCapacity - buf_.size());
      buf_.append(data, take);
      data += take;
      n -= take;
      cv_.notify_all();
    }
    return true;
  }
  void CloseWrite() {
    std::lock_guard<std::mutex> lock(mu_);
    writer_done_ = true;
    cv_.notify_all();
  }
  ssize_t Read(char* out, size_t max) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !buf_.empty() || writer_done_; });
    if (buf_.empty()) return failed_ ? -1 : 0;
    const size_t n = std::min(max, buf_.size());
    std::memcpy(out, buf_.data(), n);
    buf_.erase(0, n);
    cv_.notify_all();
    return static_cast<ssize_t>(n);
  }
  void CloseRead() {
    std::lock_guard<std::mutex> lock(mu_);
    reader_gone_ = true;
    cv_.notify_all();
  }
  bool reader_gone() {
    std::lock_guard<std::mutex> lock(mu_);
    return reader_gone_;
  }
  void Fail() {
    std::lock_guard<std::mutex> lock(mu_);
    failed_ = true;
  }

 private:
  static constexpr size_t kCapacity = 1 << 20;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buf_;
  bool writer_done_ = false, reader_gone_ = false, failed_ = false;
};

// An ostream buffer that writes to the pipe in 64 KiB pieces.
class PipeBuf : public std::streambuf {
 public:
  explicit PipeBuf(Pipe* pipe) : pipe_(pipe) { setp(buf_, buf_ + sizeof(buf_)); }
  int sync() override {
    const bool ok = pipe_->Write(pbase(), static_cast<size_t>(pptr() - pbase()));
    setp(buf_, buf_ + sizeof(buf_));
    return ok ? 0 : -1;
  }
  int_type overflow(int_type c) override {
    if (sync() != 0) return traits_type::eof();
    if (c != traits_type::eof()) sputc(static_cast<char>(c));
    return traits_type::not_eof(c);
  }

 private:
  Pipe* pipe_;
  char buf_[64 * 1024];
};

// Feeds the export's messages into a sink, as paraatctl's StreamExport does.
class SinkWriter : public ExportWriter {
 public:
  SinkWriter(ExportSink* sink, Pipe* pipe) : sink_(sink), pipe_(pipe) {}
  bool Write(const paraat::v1::ExportEvidenceResponse& msg, bool) override {
    if (msg.has_header()) {
      sink_->Header(msg.header());
    } else if (msg.has_records()) {
      for (const auto& r : msg.records().records()) sink_->Record(r);
    } else if (msg.has_record()) {
      sink_->Record(msg.record());
    }
    return !pipe_->reader_gone();
  }
  bool Cancelled() override { return pipe_->reader_gone(); }

 private:
  ExportSink* sink_;
  Pipe* pipe_;
};

class ExportStream : public HttpBodyStream {
 public:
  ExportStream(const EvidenceExport* exporter, std::shared_ptr<const EvaluationSnapshot> snapshot,
               paraat::v1::ExportEvidenceRequest request, std::string format, absl::Time since, absl::Time until,
               Localizer loc)
      : thread_([this, exporter, snapshot = std::move(snapshot), request = std::move(request),
                 format = std::move(format), since, until, loc] {
          PipeBuf buf(&pipe_);
          std::ostream out(&buf);
          // The HTML report in the reader's language and zone; the other formats are for machines.
          std::unique_ptr<ExportSink> sink = MakeExportSink(format, out, nullptr, loc.lang(), loc.zone());
          SinkWriter writer(sink.get(), &pipe_);
          grpc::Status st = exporter->Run(*snapshot, request, &writer);
          if (st.ok()) {
            sink->Finish(since, until);
          } else {
            // The download ends short: the browser reports a failed download, not a whole file.
            pipe_.Fail();
          }
          out.flush();
          pipe_.CloseWrite();
        }) {}
  ~ExportStream() override {
    pipe_.CloseRead();
    thread_.join();
  }
  ssize_t Read(char* buf, size_t max) override { return pipe_.Read(buf, max); }

 private:
  Pipe pipe_;
  std::thread thread_;  // last: starts once the pipe exists
};

}  // namespace

HttpResponse WebConsole::EvidenceDownload(const HttpRequest& req, Caller& c) {
  const Localizer& loc = c.loc;
  const std::string& format = req.Param("format");
  static const std::map<std::string, std::pair<const char*, const char*>> kTypes = {
      {"csv", {"text/csv; charset=utf-8", "csv"}},
      {"json", {"application/json", "json"}},
      {"oscal", {"application/json", "oscal.json"}},
      {"html", {"text/html; charset=utf-8", "html"}}};
  auto type = kTypes.find(format);
  if (type == kTypes.end()) return console::ErrorPage(req, c, *this, 400, loc.T("error.not_found"));
  auto snap = deps_.loop->snapshot();
  const absl::Time now = deps_.clock->Now();
  absl::Time since = now - absl::Hours(24 * 400), until = now;
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d", req.Param("since"), loc.zone(), &t, &err)) since = t;
  if (absl::ParseTime("%Y-%m-%d", req.Param("until"), loc.zone(), &t, &err)) until = std::min(now, t + absl::Hours(24));
  paraat::v1::ExportEvidenceRequest er;
  const std::string& plan = req.Param("plan");
  if (!plan.empty()) {
    if (snap->Find(plan) == nullptr)
      return console::ErrorPage(req, c, *this, 404, loc.F("plan.not_found", {{"id", plan}}));
    er.add_plan_ids(plan);
  }
  er.set_since_unix_ns(ToUnixNs(since));
  er.set_until_unix_ns(ToUnixNs(until));
  // As paraatctl: CSV takes the verification last (the collector verifies while it sends).
  er.set_verification_last(format == "csv");
  HttpResponse r;
  r.content_type = type->second.first;
  r.headers["Content-Disposition"] =
      absl::StrCat("attachment; filename=\"paraat-evidence-", plan.empty() ? "all" : UrlEncode(plan), "-",
                   absl::FormatTime("%Y%m%d", now, loc.zone()), ".", type->second.second, "\"");
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
  r.stream = std::make_shared<ExportStream>(deps_.exporter, std::move(snap), std::move(er), format, since, until, loc);
  return r;
}

}  // namespace paraat
