// Scoring the attribute defence the way the paper does (docs/scoring.md): for every face and every
// target domain c_j of a forger M, the forgeries M(x, c_j) and M(x', c_j) of the clean and
// the protected face, their L1 and L2 distance, and whether the pair is disrupted
// (L2 > threshold; DSR is the share of disrupted pairs); and the protection's own PSNR/SSIM.
//
// Sizes: faces are prepared (centre square, resized) to one scoring size S; PSNR/SSIM are
// measured there. Protection models work at their own size (the perturbation is resized
// back, as id-poison does on photos), and each forger sees both faces resized to its size.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/attributes.h"
#include "data/face_dataset.h"
#include "face/align.h"
#include "io/rgb8.h"
#include "model/editor_model.h"

namespace idef {

class FaceDetector;

constexpr double kDsrThreshold = 0.05;  // docs/scoring.md, the authors' code

struct FaceItem {
  std::string name;           // relative path (folders, CelebA) or file name; "NAME#k" for a photo's k-th face
  std::string counterpart;    // how the protected counterpart is found (relative path); empty: `name`
  std::string source;         // the file it was read from
  std::optional<FaceAlignment> alignment;  // faces found in photos: the forger's crop of the source
  Rgb8 image;                 // prepared to the scoring size
  std::vector<float> labels;  // 0/1 per FaceSet::attributes; empty without labels
};

struct FaceSet {
  std::vector<FaceItem> faces;
  std::vector<std::string> attributes;  // the label columns (CelebA input); empty for plain images
  std::vector<std::string> problems;    // inputs that could not be read, one message each
};

// A CelebA-layout folder (labels give StarGAN's target domains) or image files and folders
// (searched recursively; no labels; split and attributes do not apply). options.image_size
// is the scoring size S. Unreadable images are problems, not errors.
FaceSet load_celeba_faces(const std::string& root, const DatasetOptions& options);
//
// With a detector, every face found in each photo is an item: aligned to the canonical face
// crop at the scoring size the way a forger crops faces (face/align.h), and its protected
// counterpart is cut out with the same alignment. A photo without a face is a problem.
FaceSet load_image_faces(const std::vector<std::string>& inputs, const DatasetOptions& options,
                         FaceDetector* detector = nullptr);

// Labels for faces read from image files (--labels): a CelebA-format attribute list
// (data/attributes.h) whose rows name the photos as the faces do (path relative to the input
// folder, or file name); a row "NAME#k" labels a photo's k-th face alone, a row "NAME" all of
// its faces. The set's attributes become the list's; faces without a row keep none, and their
// names are returned.
std::vector<std::string> label_faces(FaceSet& set, const AttributeList& list);

// The target domains of one face for an editor, [D, c_dim]: StarGAN's (hair colour set,
// other attributes flipped) from the face's labels when it has them — every editor
// attribute must then be among `label_attributes` — else attribute j alone on, per j.
torch::Tensor face_domains(const FaceItem& face, const std::vector<std::string>& label_attributes,
                           const std::vector<std::string>& editor_attributes);

// The protected counterpart DIR/NAME of a face, prepared (or aligned) like the clean one. Throws
// InputError when it is missing, unreadable, or of another size than the clean file.
Rgb8 load_protected_face(const std::string& dir, const FaceItem& face, int crop);

struct Forger {
  std::string name;  // the file's stem, made unique within a run
  std::string path;
  EditorModel model;
};
// Loads editor models (or id-forge checkpoints, their generator); anything else (a
// perturbation model) is an InputError.
std::vector<Forger> load_forgers(const std::vector<std::string>& paths, const torch::Device& device);

struct AttrPair {
  std::string image, forger, domain;
  double l1 = 0, l2 = 0;  // between M(x', c_j) and M(x, c_j), [-1, 1] scale
  bool disrupted = false;  // l2 > threshold
  double psnr = 0, ssim = 0;  // of x' against x (the face's, repeated on each of its pairs)
  double input_l2 = 0;        // L2 between x' and x as the forger sees them (at its size)
};

// The forgeries of one face, kept for contact sheets: [D, 3, F, F] in [-1, 1].
struct Forgeries {
  torch::Tensor clean, protected_;
  std::vector<std::string> domains;
};

// Scores one face (clean and protected at the scoring size) against one forger over
// `domains` ([D, c_dim]); `keep` receives the forgeries when not null.
std::vector<AttrPair> score_face(const Forger& forger, const FaceItem& face, const Rgb8& protected_image,
                                 const torch::Tensor& domains, double threshold, const torch::Device& device,
                                 Forgeries* keep = nullptr);

struct AttrSummary {
  std::string forger;
  std::int64_t images = 0, pairs = 0, disrupted = 0;
  double dsr = 0;           // disrupted / pairs (metrics' dsr on the pairs' L2)
  double l1 = 0, l2 = 0;    // means over the pairs
  double psnr = 0, ssim = 0;  // means over the images
  double input_l2 = 0;        // mean L2 of x' to x as the forger sees them, over the pairs
  // How much the forger amplifies the perturbation: forgery L2 over input L2 (0 without one).
  double gain() const { return input_l2 > 0 ? l2 / input_l2 : 0; }
};
// The summary of one forger's pairs; throws idef::Error when there are none.
AttrSummary summarize_pairs(const std::string& forger, const std::vector<AttrPair>& pairs, double threshold);

// A whole run: every face's protected counterpart from `protect` (an idef::Error there is a
// problem of that face; the rest is scored), every forger, the first `keep_faces` faces'
// pictures for contact sheets.
struct KeptFace {
  std::string name;
  Rgb8 clean, protected_;
  std::vector<Forgeries> forgeries;  // per forger
};
struct AttrRun {
  std::vector<AttrPair> pairs;         // face by face, forger by forger, domain by domain
  std::vector<AttrSummary> summaries;  // per forger (absent for a forger without any pair)
  std::vector<KeptFace> kept;
  std::vector<std::string> problems;
  std::int64_t scored_faces = 0;
};
using ProtectedSource = std::function<Rgb8(const FaceItem& face, std::size_t index)>;
AttrRun score_attr(const FaceSet& faces, const ProtectedSource& protect, const std::vector<Forger>& forgers,
                   double threshold, const torch::Device& device, std::size_t keep_faces = 0,
                   const std::function<void(std::size_t done)>& progress = nullptr);

}  // namespace idef
