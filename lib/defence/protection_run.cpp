#include "defence/protection_run.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <fstream>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/stopwatch.h"
#include "core/version.h"
#include "defence/photo_batch.h"
#include "defence/protect_photo.h"
#include "defence/protect_stream.h"
#include "face/detector.h"
#include "io/byte_stream.h"
#include "io/image.h"
#include "io/y4m.h"

namespace fs = std::filesystem;

namespace idef {

void run_jobs(const std::vector<std::string>& names, std::size_t workers,
              const std::function<void(std::size_t, std::size_t)>& job,
              const std::function<void(std::size_t, const std::string&)>& done) {
  std::mutex mutex;  // serialises `done` and guards `stop`
  std::exception_ptr stop;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> next{0};
  auto finish = [&](std::size_t i, const std::string& error) {
    std::lock_guard<std::mutex> hold(mutex);
    done(i, error);
  };
  auto work = [&](std::size_t worker) {
    for (std::size_t i = next++; i < names.size() && !stopping; i = next++) {
      try {
        job(i, worker);
        finish(i, "");
      } catch (const BrokenPipe&) {
        std::lock_guard<std::mutex> hold(mutex);
        if (!stop) stop = std::current_exception();
        stopping = true;
      } catch (const InputError& e) {
        finish(i, e.what());  // it names the file itself
      } catch (const OutputError& e) {
        finish(i, e.what());
      } catch (const std::exception& e) {
        finish(i, "'" + names[i] + "': " + e.what());
      } catch (...) {
        finish(i, "'" + names[i] + "': unknown error");
      }
    }
  };
  workers = std::max<std::size_t>(1, std::min(workers, names.size()));
  if (workers == 1) {
    work(0);
  } else {
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < workers; ++w) threads.emplace_back(work, w);
    for (auto& t : threads) t.join();
  }
  if (stop) std::rethrow_exception(stop);
}

NoFacePolicy no_face_policy(const std::string& name) {
  if (name == "fail") return NoFacePolicy::fail;
  if (name == "copy") return NoFacePolicy::copy;
  if (name == "skip") return NoFacePolicy::skip;
  throw UsageError("--no-face must be fail, copy or skip, not '" + name + "'");
}

std::size_t ProtectionRunReport::failed() const {
  return missing.size() + static_cast<std::size_t>(std::count_if(results.begin(), results.end(),
                                                                 [](const InputResult& r) { return !r.ok; }));
}

std::string PhotoProfile::summary() const {
  char line[320];
  int n = std::snprintf(line, sizeof line, "models and detector loaded in %.2f s", models_seconds);
  if (photos > 0) {
    const double ms = 1000.0 / photos;
    std::snprintf(line + n, sizeof line - n,
                  "; per photo: decode %.0f ms, detection and landmarks %.0f ms, networks %.0f ms, paste %.0f ms, "
                  "encode %.0f ms",
                  decode * ms, detect * ms, networks * ms, paste * ms, encode * ms);
  }
  return line;
}

std::string ProtectionRunReport::summary(bool count_faces) const {
  std::size_t ok = 0, faces = 0, frames = 0, faceless = 0;
  for (const auto& r : results)
    if (r.ok && r.no_face) {
      ++faceless;
    } else if (r.ok) {
      ++ok;
      faces += r.faces;
      frames += r.frames;
    }
  std::string text = "protected " + std::to_string(ok) + " of " + std::to_string(results.size() + missing.size()) +
                     " inputs";
  if (count_faces) text += " (" + std::to_string(faces) + " faces)";
  if (frames) text += ", " + std::to_string(frames) + " video frames";
  if (faceless) text += ", " + std::to_string(faceless) + " without a face";
  if (skipped_existing) text += ", " + std::to_string(skipped_existing) + " already done";
  if (other_shards) text += ", " + std::to_string(other_shards) + " in other shards";
  if (failed()) text += ", " + std::to_string(failed()) + " failed";
  return text;
}

namespace {

// What one worker thread owns: its models (a module's forward is not safe to share across
// threads) and dlib's face detector (not thread-safe).
struct Worker {
  std::vector<std::unique_ptr<PerturbationModel>> generators;
  std::vector<std::unique_ptr<EditorModel>> targets;
  PerturberChain chain;
  std::unique_ptr<FaceDetector> detector;
};

std::unique_ptr<PerturbationModel> load_stage_generator(const ProtectionStage& stage, const torch::Device& device) {
  auto generator =
      std::make_unique<PerturbationModel>(load_protection_generator(stage.protection, stage.model, device));
  if (!stage.task.empty() && generator->task != stage.task)
    throw InputError(stage.model, "a generator of the " + generator->task + " task, not of the " + stage.task +
                                      " task (" + stage.model_option + ")");
  return generator;
}

Worker make_worker(const ProtectionRunSettings& s, const torch::Device& device) {
  Worker w;
  double taus = 0;
  for (const ProtectionStage& stage : s.stages) {
    std::unique_ptr<PerturbationModel> generator;
    std::unique_ptr<EditorModel> target;
    if (stage.protection.method == "pg") generator = load_stage_generator(stage, device);
    if (is_attack_method(stage.protection.method))
      target = std::make_unique<EditorModel>(load_editor_model(stage.target, device));
    Protection p = make_protection(stage.protection, generator.get(), target.get());
    p.options.feather = s.feather;
    taus += p.options.tau;
    w.chain.stages.push_back(std::move(p));
    w.generators.push_back(std::move(generator));
    w.targets.push_back(std::move(target));
  }
  w.chain.tau = s.max_tau.value_or(taus);
  w.chain.push_landmarks = s.push_landmarks;
  if (!s.aligned) {
    FaceDetectorOptions d;
    if (!s.landmark_model.empty()) d.landmark_model = s.landmark_model;
    d.upsample = s.upsample;
    d.scale = s.detect_scale;
    w.detector = std::make_unique<FaceDetector>(d);
  }
  return w;
}

// The CSV of ‖x' − x‖∞ per photo and frame (--report), one line as each is done.
class ChangeReport {
 public:
  explicit ChangeReport(const std::string& path) : path_(path) {
    if (path.empty()) return;
    out_.open(path, std::ios::trunc);
    if (!out_) throw OutputError(path, "cannot create the report");
    out_ << "input,frame,faces,max_change_levels,max_change\n" << std::flush;
  }
  bool enabled() const { return out_.is_open(); }
  void add(const std::string& input, std::int64_t frame, int faces, int levels) {
    if (!enabled()) return;
    std::lock_guard<std::mutex> hold(mutex_);
    std::string name = input;
    if (name.find_first_of(",\"\n") != std::string::npos) {  // CSV quoting
      std::string quoted = "\"";
      for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      name = quoted + "\"";
    }
    char value[32];
    std::snprintf(value, sizeof value, "%.6f", levels / 127.5);
    out_ << name << ',' << frame << ',' << faces << ',' << levels << ',' << value << '\n';
    if (!out_.flush()) throw OutputError(path_, "the report could not be written");
  }

 private:
  std::string path_;
  std::ofstream out_;
  std::mutex mutex_;
};

// The rest of a source whose first bytes were already taken.
std::string read_rest(ByteSource& source) {
  std::string bytes;
  char chunk[1 << 16];
  while (std::size_t got = source.read(chunk, sizeof chunk)) bytes.append(chunk, got);
  return bytes;
}

// One input: a photo, a y4m stream or file, raw rgb24 frames, or a video file.
class InputProtector {
 public:
  InputProtector(const ProtectionRunSettings& s, const ProtectionRunEvents& events, const FrameCallback& on_frame,
                 ChangeReport& report, PhotoProfile& profile)
      : s_(s), events_(events), on_frame_(on_frame), report_(report), profile_(profile) {}

  void protect(const PhotoJob& job, Worker& worker, InputResult& result) {
    std::unique_ptr<ByteSource> stdin_source;
    std::string head;
    if (job.input == "-" && !s_.raw_input) {
      // A pipe cannot seek back: sniff its first bytes, then read on behind them.
      stdin_source = ByteSource::from_file(stdin, "-");
      head.resize(9);
      head.resize(stdin_source->read(head.data(), head.size()));
    }
    const bool raw = job.input == "-" && s_.raw_input;
    const bool y4m = job.input == "-" ? head == "YUV4MPEG2" : fs::path(job.input).extension() == ".y4m";
    const bool video_file = job.input != "-" && has_video_extension(job.input);
    if (job.output != "-") {
      const fs::path parent = fs::path(job.output).parent_path();
      fs::create_directories(parent.empty() ? fs::path(".") : parent);
    }
    if (raw || y4m || video_file)
      protect_stream(job, worker, std::move(stdin_source), head, raw, y4m, result);
    else
      protect_image(job, worker, std::move(stdin_source), head, result);
    if (!job.record.empty()) InPlaceRecord::add(job.record, job.record_key, job.output);
  }

 private:
  void protect_image(const PhotoJob& job, Worker& worker, std::unique_ptr<ByteSource> stdin_source,
                     const std::string& head, InputResult& result) {
    ImageLoadOptions load;
    load.max_pixels = s_.max_pixels;
    auto start = Clock::now();
    const std::string stdin_bytes = stdin_source ? head + read_rest(*stdin_source) : std::string();
    Image image = stdin_source ? Image::load_buffer(stdin_bytes, "-", load) : Image::load(job.input, load);
    const Rgb8& rgb = image.rgb();  // decoded now, not inside the detector's time
    PhotoProfile times;
    times.decode = seconds_since(start);
    ImageSaveOptions save;
    save.jpeg_quality = s_.jpeg_quality;
    save.strip_metadata = s_.strip_metadata;
    Rgb8 out;
    const PerturberChain chain = timed_chain(worker.chain, times.networks);
    if (s_.aligned) {
      start = Clock::now();
      out = protect_aligned(rgb, chain);
      times.paste = seconds_since(start) - times.networks;
      result.faces = 1;
    } else {
      ProtectedPhoto photo = protect_photo(rgb, *worker.detector, chain);
      if (photo.faces.empty()) return pass_faceless_photo(job, stdin_bytes, image, save, result);
      result.faces = photo.faces.size();
      out = std::move(photo.image);
      times.detect = photo.detect_seconds;
      times.paste = photo.protect_seconds - times.networks;
    }
    result.max_change = max_change(rgb, out);
    start = Clock::now();
    image.save(job.output, out, save);
    times.encode = seconds_since(start);
    report_.add(job.input, 0, static_cast<int>(result.faces), result.max_change);
    std::lock_guard<std::mutex> hold(profile_mutex_);
    ++profile_.photos;
    profile_.decode += times.decode, profile_.detect += times.detect, profile_.networks += times.networks;
    profile_.paste += times.paste, profile_.encode += times.encode;
  }

  void pass_faceless_photo(const PhotoJob& job, const std::string& stdin_bytes, const Image& image,
                           const ImageSaveOptions& save, InputResult& result) {
    result.no_face = true;
    // Not a read error: run_jobs names the input ("'x.jpg': no face found ...").
    if (s_.no_face == NoFacePolicy::fail) throw Error("no face found (nothing protected, no output written)");
    if (s_.no_face == NoFacePolicy::copy && !s_.in_place) {
      // The file's own bytes, unless metadata must go: then the same pixels re-encoded.
      if (s_.strip_metadata)
        image.save(job.output, image.rgb(), save);
      else
        write_all(job.output, job.input == "-" ? stdin_bytes : read_all(job.input));
    }
    const bool written = s_.no_face == NoFacePolicy::copy && !s_.in_place;
    events_.warn("'" + job.input + "': no face found (" +
                 (written ? "copied unchanged" : s_.in_place ? "left unchanged" : "skipped, no output written") + ")");
  }

  void protect_stream(const PhotoJob& job, Worker& worker, std::unique_ptr<ByteSource> stdin_source,
                      const std::string& head, bool raw, bool y4m, InputResult& result) {
    StreamProtector protector(worker.detector.get(), worker.chain, s_.detect_every);
    protector.set_max_pixels(s_.max_pixels);
    if (report_.enabled())
      protector.set_frame_report([&](std::int64_t frame, int faces, int change) {
        report_.add(job.input, frame, faces, change);
      });
    // A lone job with more than one thread reads and finds faces a frame ahead on a second
    // core, and the network gets the other threads: waiting OpenMP threads spin, and one
    // spinning beside the reader took a quarter of the CPU time.
    const int network_threads = torch::get_num_threads();
    struct RestoreThreads {
      int count;
      ~RestoreThreads() { set_thread_count(count); }
    } restore{network_threads};
    if (s_.jobs <= 1 && network_threads > 1) {
      // One detection takes as long as protecting several frames: with 8 frames queued
      // (about 7 MB each at 720p, so memory stays constant) the other thread goes on
      // protecting meanwhile instead of waiting.
      protector.set_lookahead(8);
      set_thread_count(network_threads - 1);
    }
    // A faceless file output appears only under --no-face copy, and never over an original.
    const bool to_stdout = job.output == "-";
    const FacelessOutput faceless =
        !to_stdout && (s_.in_place || s_.no_face != NoFacePolicy::copy) ? FacelessOutput::drop : FacelessOutput::keep;
    StreamStats stats;
    if (raw) {
      RawVideoReader in(ByteSource::from_file(stdin, "-"), s_.raw_format);
      RawVideoWriter out("-", s_.raw_format);
      stats = protect_raw_video(in, out, protector, on_frame_);
    } else if (y4m) {
      Y4mReader in(stdin_source ? ByteSource::with_prefix(head, std::move(stdin_source)) : ByteSource::open(job.input));
      Y4mWriter out(job.output, in.header());
      stats = protect_y4m(in, out, protector, on_frame_, faceless);
    } else {
      stats = protect_video_file(job.input, job.output, protector, s_.video, on_frame_, faceless);
    }
    if (stats.damaged_frames > 0)
      events_.warn("'" + job.input + "': the decoder found damage in " + std::to_string(stats.damaged_frames) +
                   " of its " + std::to_string(stats.frames) +
                   " frames and concealed it; those frames are protected as decoded (--verbose shows its messages)");
    result.faces = static_cast<std::size_t>(stats.faces);
    result.frames = static_cast<std::size_t>(stats.frames);
    result.max_change = stats.max_change;
    if (stats.frames_with_faces == 0) {
      result.no_face = true;
      const std::string what = "no face found in any of its " + std::to_string(stats.frames) + " frames";
      const std::string fate = to_stdout ? "its frames passed unchanged"
                               : faceless == FacelessOutput::keep ? "copied unchanged"
                               : s_.in_place                      ? "left unchanged"
                                                                  : "no output written";
      if (s_.no_face == NoFacePolicy::fail) throw Error(what + " (nothing protected, " + fate + ")");
      events_.warn("'" + job.input + "': " + what + " (" + fate + ")");
    } else {
      events_.info("'" + job.input + "': " + std::to_string(stats.frames) + " frames, " +
                   std::to_string(stats.frames_with_faces) + " with faces, detector run on " +
                   std::to_string(stats.detections) + "; " + stats.profile());
    }
  }

  const ProtectionRunSettings& s_;
  const ProtectionRunEvents& events_;
  const FrameCallback& on_frame_;
  ChangeReport& report_;
  PhotoProfile& profile_;
  std::mutex profile_mutex_;
};

void check_run_settings(const ProtectionRunSettings& s) {
  if (s.in_place && !s.output_dir.empty()) throw UsageError("--in-place and --output exclude each other");
  const bool uses_stdin = std::count(s.inputs.begin(), s.inputs.end(), "-") > 0;
  if (uses_stdin && s.inputs.size() > 1) throw UsageError("- (standard input) cannot be mixed with other inputs");
  if (uses_stdin && (s.in_place || !s.output_dir.empty())) throw UsageError("- writes to standard output");
  if (s.raw_input && !uses_stdin) throw UsageError("--size is for raw rgb24 frames on standard input (-)");
  if (s.jobs < 1) throw UsageError("--jobs must be at least 1");
  if (s.stages.empty() && !s.push_landmarks) throw UsageError("no protection to run");
  for (const ProtectionStage& stage : s.stages)
    check_protection_settings(stage.protection, !stage.model.empty(), !stage.target.empty());
  if (s.push_landmarks && s.aligned)
    throw UsageError("the landmark push (--push-landmarks, --method push) needs the faces' landmarks in the whole "
                     "picture, not --aligned crops");
  if (s.max_tau && !(*s.max_tau > 0 && *s.max_tau <= 1))
    throw UsageError("--max-epsilon must be in (0, 1], not " + std::to_string(*s.max_tau));
}

}  // namespace

ProtectionRunReport run_protection(const ProtectionRunSettings& s, const torch::Device& device,
                                   const ProtectionRunEvents& events) {
  check_run_settings(s);
  // Models first: a bad model stops the run before any output is written.
  std::vector<Worker> workers;
  const auto start = Clock::now();
  workers.push_back(make_worker(s, device));
  const double models_seconds = seconds_since(start);

  BatchPlan plan = plan_photo_jobs(s.inputs, {s.output_dir, s.in_place, s.skip_existing, s.shard_index,
                                              s.shard_count});
  if (!s.output_dir.empty()) fs::create_directories(s.output_dir);
  std::vector<std::unique_ptr<FolderLock>> locks;  // the output folder, or in place each input folder
  for (const auto& dir : plan.lock_dirs)
    locks.push_back(std::make_unique<FolderLock>(dir, s.shard_index, s.shard_count));
  remove_temporaries_on_signal("id-poison");
  ProtectionRunReport report;
  report.profile.models_seconds = models_seconds;
  report.missing = plan.missing;
  report.skipped_existing = plan.skipped_existing;
  report.other_shards = plan.other_shards;
  for (const auto& m : plan.missing) events.error("cannot read '" + m + "': no such file or folder");
  if (events.planned) events.planned(plan.jobs.size());

  std::vector<std::string> names;
  for (const auto& job : plan.jobs) {
    names.push_back(job.input);
    report.results.push_back({job.input, job.output});
  }
  const std::size_t job_count = std::min<std::size_t>(static_cast<std::size_t>(s.jobs), plan.jobs.size());
  if (job_count > 1) {
    if (!s.threads_given) set_thread_count(1);  // jobs share the cores: one network thread each
    while (workers.size() < job_count) workers.push_back(make_worker(s, device));
  }
  std::mutex progress_mutex;
  std::size_t done = 0;
  const FrameCallback on_frame = [&](int frames) {
    std::lock_guard<std::mutex> hold(progress_mutex);
    if (events.progress) events.progress(done, frames);
  };
  ChangeReport change_report(s.report);
  InputProtector protector(s, events, on_frame, change_report, report.profile);
  run_jobs(
      names, job_count,
      [&](std::size_t i, std::size_t w) { protector.protect(plan.jobs[i], workers[w], report.results[i]); },
      [&](std::size_t i, const std::string& error) {
        InputResult& r = report.results[i];
        r.ok = error.empty();
        r.error = error;
        if (!r.ok) events.error(error);
        std::lock_guard<std::mutex> hold(progress_mutex);
        ++done;
        if (events.progress) events.progress(done, -1);
      });
  return report;
}

}  // namespace idef
