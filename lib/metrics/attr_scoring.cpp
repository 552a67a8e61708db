#include "metrics/attr_scoring.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "core/folder_walk.h"
#include "data/face_dataset.h"
#include "face/detector.h"
#include "io/image.h"
#include "io/tensor_image.h"
#include "metrics/image_metrics.h"

namespace fs = std::filesystem;

namespace idef {

namespace {

std::vector<FaceItem> faces_of(const FaceDataset& data, const std::string& source_dir) {
  std::vector<FaceItem> faces;
  for (std::int64_t i = 0; i < data.size(); ++i) {
    FaceItem f;
    f.name = data.names()[i];
    f.source = (fs::path(source_dir) / f.name).string();
    f.image = tensor_to_rgb8(data.images()[i].to(torch::kFloat).div(127.5).sub(1.0));
    if (data.c_dim() > 0) {
      torch::Tensor row = data.labels()[i].contiguous();
      f.labels.assign(row.data_ptr<float>(), row.data_ptr<float>() + row.numel());
    }
    faces.push_back(std::move(f));
  }
  return faces;
}

std::string size_text(const Image& image) {
  return std::to_string(image.width()) + "x" + std::to_string(image.height());
}

}  // namespace

FaceSet load_celeba_faces(const std::string& root, const DatasetOptions& options) {
  FaceSet set;
  FaceDataset data = FaceDataset::celeba(root, options, [&](const std::string& w) { set.problems.push_back(w); });
  set.faces = faces_of(data, (fs::path(root) / "img_align_celeba").string());
  set.attributes = data.attributes();
  return set;
}

FaceSet load_image_faces(const std::vector<std::string>& inputs, const DatasetOptions& o, FaceDetector* detector) {
  FaceSet set;
  DatasetOptions d;
  d.image_size = o.image_size;
  d.crop = o.crop;
  auto full = [&] { return o.limit >= 0 && static_cast<std::int64_t>(set.faces.size()) >= o.limit; };
  // One photo: its faces, aligned (detector) or the whole picture prepared.
  auto add_file = [&](const std::string& path, const std::string& name) {
    try {
      Rgb8 rgb = Image::load(path).rgb();
      if (!detector) {
        FaceItem f;
        f.name = name;
        f.source = path;
        f.image = prepare_face(rgb, o.crop, o.image_size);
        set.faces.push_back(std::move(f));
        return;
      }
      std::vector<Face> found = detector->detect(rgb);
      if (found.empty()) throw InputError(path, "no face found");
      for (std::size_t k = 0; k < found.size() && !full(); ++k) {
        FaceItem f;
        f.name = k == 0 ? name : name + "#" + std::to_string(k + 1);
        f.counterpart = name;
        f.source = path;
        f.alignment = align_face(found[k].landmarks);
        f.image = extract_crop(rgb, *f.alignment, o.image_size);
        set.faces.push_back(std::move(f));
      }
    } catch (const Error& e) {
      set.problems.push_back(e.what());
    }
  };
  for (const auto& input : inputs) {
    if (full()) break;
    if (!fs::is_directory(input)) {
      add_file(input, fs::path(input).filename().string());
      continue;
    }
    if (!detector) {
      d.limit = o.limit < 0 ? -1 : o.limit - static_cast<std::int64_t>(set.faces.size());
      FaceDataset data = FaceDataset::folder(input, d, [&](const std::string& w) { set.problems.push_back(w); });
      for (auto& f : faces_of(data, input)) set.faces.push_back(std::move(f));
      continue;
    }
    for (const auto& name : walk_folder(input)) {
      if (full()) break;
      if (has_image_extension(name)) add_file((fs::path(input) / name).string(), name);
    }
  }
  return set;
}

std::vector<std::string> label_faces(FaceSet& set, const AttributeList& list) {
  std::map<std::string, std::size_t> row_of;
  for (std::size_t r = 0; r < list.files.size(); ++r) row_of[list.files[r]] = r;
  std::vector<std::string> unlabelled;
  for (auto& face : set.faces) {
    auto it = row_of.find(face.name);
    if (it == row_of.end() && !face.counterpart.empty()) it = row_of.find(face.counterpart);
    face.labels.clear();
    if (it == row_of.end()) {
      unlabelled.push_back(face.name);
      continue;
    }
    for (std::int8_t v : list.values[it->second]) face.labels.push_back(v > 0 ? 1.0f : 0.0f);
  }
  set.attributes = list.names;
  return unlabelled;
}

torch::Tensor face_domains(const FaceItem& face, const std::vector<std::string>& label_attributes,
                           const std::vector<std::string>& editor_attributes) {
  const int c_dim = static_cast<int>(editor_attributes.size());
  if (face.labels.empty()) return torch::cat(one_attribute_domains(c_dim));
  // The face's own labels in the editor's attribute order, then StarGAN's targets.
  std::vector<float> own;
  for (const auto& a : editor_attributes) {
    auto it = std::find(label_attributes.begin(), label_attributes.end(), a);
    if (it == label_attributes.end()) throw Error("the labels have no attribute '" + a + "'");
    own.push_back(face.labels[it - label_attributes.begin()]);
  }
  torch::Tensor labels = torch::tensor(own).reshape({1, c_dim});
  return torch::cat(target_domain_labels(labels, editor_attributes));
}

Rgb8 load_protected_face(const std::string& dir, const FaceItem& face, int crop) {
  const std::string path = (fs::path(dir) / (face.counterpart.empty() ? face.name : face.counterpart)).string();
  if (!fs::exists(path)) throw InputError(path, "missing (counterpart of '" + face.source + "')");
  Image prot = Image::load(path);
  if (fs::exists(face.source)) {
    Image clean = Image::load(face.source);
    if (clean.width() != prot.width() || clean.height() != prot.height())
      throw InputError(path, "size mismatch: it is " + size_text(prot) + ", '" + face.source + "' is " +
                                 size_text(clean));
  }
  if (face.alignment) return extract_crop(prot.rgb(), *face.alignment, face.image.width);
  return prepare_face(prot.rgb(), crop, face.image.width);
}

std::vector<Forger> load_forgers(const std::vector<std::string>& paths, const torch::Device& device) {
  std::vector<Forger> forgers;
  std::map<std::string, int> seen;
  for (const auto& path : paths) {
    Forger f;
    f.path = path;
    f.model = load_editor_model(path, device);
    f.name = fs::path(path).stem().string();
    // Two files of one stem (a/res6.idm, b/res6.idm) stay apart in the reports.
    if (int n = ++seen[f.name]; n > 1) f.name += "-" + std::to_string(n);
    forgers.push_back(std::move(f));
  }
  return forgers;
}

std::vector<AttrPair> score_face(const Forger& forger, const FaceItem& face, const Rgb8& protected_image,
                                 const torch::Tensor& domains, double threshold, const torch::Device& device,
                                 Forgeries* keep) {
  torch::NoGradGuard no_grad;
  const double p = psnr(face.image, protected_image), s = ssim(face.image, protected_image);
  const int size = forger.model.editor->config().image_size;
  auto at_size = [&](const Rgb8& im) {
    return rgb8_to_tensor(im.width == size && im.height == size ? im : resize_rgb8(im, size, size));
  };
  const std::int64_t n = domains.size(0);
  torch::Tensor c = domains.to(device);
  torch::Tensor x = at_size(face.image).to(device).expand({n, -1, -1, -1}).contiguous();
  torch::Tensor xp = at_size(protected_image).to(device).expand({n, -1, -1, -1}).contiguous();
  torch::Tensor y = forger.model.editor->forward(x, c).to(torch::kCPU);
  torch::Tensor yp = forger.model.editor->forward(xp, c).to(torch::kCPU);
  const std::vector<double> d1 = l1_per_image(yp, y), d2 = l2_per_image(yp, y);
  const double input_l2 = l2_per_image(xp.narrow(0, 0, 1).cpu(), x.narrow(0, 0, 1).cpu()).front();
  std::vector<AttrPair> pairs;
  for (std::int64_t j = 0; j < n; ++j) {
    AttrPair pair;
    pair.image = face.name;
    pair.forger = forger.name;
    pair.domain = forger.model.attributes[j % forger.model.attributes.size()];
    pair.l1 = d1[j];
    pair.l2 = d2[j];
    pair.disrupted = d2[j] > threshold;
    pair.psnr = p;
    pair.ssim = s;
    pair.input_l2 = input_l2;
    pairs.push_back(pair);
  }
  if (keep) {
    keep->clean = y;
    keep->protected_ = yp;
    keep->domains.clear();
    for (const auto& pair : pairs) keep->domains.push_back(pair.domain);
  }
  return pairs;
}

AttrSummary summarize_pairs(const std::string& forger, const std::vector<AttrPair>& pairs, double threshold) {
  AttrSummary s;
  s.forger = forger;
  std::vector<double> l1s, l2s, psnrs, ssims, input_l2s;
  std::set<std::string> images;
  for (const auto& p : pairs) {
    if (p.forger != forger) continue;
    l1s.push_back(p.l1);
    l2s.push_back(p.l2);
    s.disrupted += p.disrupted;
    if (images.insert(p.image).second) {
      psnrs.push_back(p.psnr);
      ssims.push_back(p.ssim);
    }
    input_l2s.push_back(p.input_l2);
  }
  if (l2s.empty()) throw Error("no scored pairs for forger '" + forger + "'");
  s.images = static_cast<std::int64_t>(images.size());
  s.pairs = static_cast<std::int64_t>(l2s.size());
  s.dsr = dsr(l2s, threshold);
  s.l1 = mean_of(l1s);
  s.l2 = mean_of(l2s);
  s.psnr = mean_of(psnrs);
  s.ssim = mean_of(ssims);
  s.input_l2 = mean_of(input_l2s);
  return s;
}

AttrRun score_attr(const FaceSet& faces, const ProtectedSource& protect, const std::vector<Forger>& forgers,
                   double threshold, const torch::Device& device, std::size_t keep_faces,
                   const std::function<void(std::size_t)>& progress) {
  AttrRun run;
  run.problems = faces.problems;
  for (std::size_t i = 0; i < faces.faces.size(); ++i) {
    const FaceItem& face = faces.faces[i];
    try {
      Rgb8 prot = protect(face, i);
      KeptFace kept;
      const bool keep = run.kept.size() < keep_faces;
      std::vector<AttrPair> pairs;
      for (const auto& f : forgers) {
        Forgeries forgeries;
        auto scored = score_face(f, face, prot, face_domains(face, faces.attributes, f.model.attributes), threshold,
                                 device, keep ? &forgeries : nullptr);
        pairs.insert(pairs.end(), scored.begin(), scored.end());
        if (keep) kept.forgeries.push_back(std::move(forgeries));
      }
      run.pairs.insert(run.pairs.end(), pairs.begin(), pairs.end());
      ++run.scored_faces;
      if (keep) {
        kept.name = face.name;
        kept.clean = face.image;
        kept.protected_ = std::move(prot);
        run.kept.push_back(std::move(kept));
      }
    } catch (const Error& e) {
      run.problems.push_back(e.what());
    }
    if (progress) progress(i + 1);
  }
  for (const auto& f : forgers)
    if (std::any_of(run.pairs.begin(), run.pairs.end(), [&](const AttrPair& p) { return p.forger == f.name; }))
      run.summaries.push_back(summarize_pairs(f.name, run.pairs, threshold));
  return run;
}

}  // namespace idef
