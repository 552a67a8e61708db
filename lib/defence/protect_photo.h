// Protection of a whole photo with any number of faces: each detected face is aligned to
// the model's crop, perturbed there, and the perturbation is warped back through the
// inverse alignment with a soft-edged mask and added at full resolution.
#pragma once
#include <functional>
#include <vector>

#include "defence/perturbation_model.h"
#include "face/align.h"
#include "face/detector.h"
#include "io/rgb8.h"

namespace idef {

struct ProtectOptions {
  double epsilon = 0.05;  // [-1,1] scale
  double tau = 0.05;      // cap of |x' − x| on the [-1,1] scale, everywhere
  double feather = 0.1;   // soft edge of each face's mask, a fraction of its crop side
};

struct ProtectedPhoto {
  Rgb8 image;
  std::vector<FaceBox> faces;  // the faces that were protected
  double detect_seconds = 0;   // finding the faces and their landmarks
  double protect_seconds = 0;  // perturbing their crops and pasting them back
};

// What perturbs one aligned face crop of a fixed size: the trained generator, or a baseline
// (PGD against an editor, noise). Returns x' − x in 8-bit units, H×W×3, channels last.
// crop_size 0: any size (noise): an aligned crop is perturbed at its own size, a face in a
// photo at kFreeCropSize.
constexpr int kFreeCropSize = 256;
struct CropPerturber {
  int crop_size = 64;
  std::function<std::vector<float>(const Rgb8& crop)> perturb;
};

// The generator PG at its own size: x' − x with x' = clamp(x + ε·PG(x)) within τ.
CropPerturber generator_perturber(const PerturbationModel& model, const ProtectOptions& options);

// What protects a face crop, and the ε and τ it was made with (defence/protection.h makes
// one from a tool's settings).
struct Protection {
  CropPerturber perturber;
  ProtectOptions options;
};

// Protections applied one after another to the same faces, each perturbing the previous
// one's output (id-joint: the attribute generator, then the reenactment one). Each stage is
// capped by its own τ, and the whole |x' − x| by round(tau·127.5).
struct PerturberChain {
  std::vector<Protection> stages;
  double tau = 0.05;
  // After the stages, each face's landmarks are pushed within the same cap, round(τ·127.5)
  // levels (defence/landmark_push.h): where faces are found with their detector boxes, that
  // is photos and streams, not aligned crops.
  bool push_landmarks = false;
  // One stage: the same protection as the perturber alone.
  static PerturberChain single(CropPerturber perturber, const ProtectOptions& options) {
    return {{{std::move(perturber), options}}, options.tau};
  }
};

// The cap of |x' − x| in 8-bit levels for τ on the [-1, 1] scale: round(τ·127.5).
int cap_levels(double tau);

// The chain with the time of each of its network calls added to `seconds` (a profile's
// "networks"); otherwise the same protection.
PerturberChain timed_chain(PerturberChain chain, double& seconds);

// What a protection changed: the smallest box outside which no pixel changed (empty when
// none did) and the largest |x' − x| in 8-bit levels. Found while the change is written, so
// a video frame needs no second pass over the face to report or re-encode it.
struct Change {
  int left = 0, top = 0, width = 0, height = 0;
  int most = 0;
  bool empty() const { return width <= 0 || height <= 0; }
  // The smallest box holding both.
  void add(const Change& other);
};

// Protects the faces at these alignments (found by the caller, e.g. tracked across video
// frames): each is perturbed in its crop and pasted back; |out − in| ≤ round(τ·127.5).
// `change`, when given, receives what changed.
Rgb8 protect_faces(const Rgb8& photo, const std::vector<FaceAlignment>& faces, const CropPerturber& perturber,
                   const ProtectOptions& options, Change* change = nullptr);

Rgb8 protect_faces(const Rgb8& photo, const std::vector<FaceAlignment>& faces, const PerturberChain& chain,
                   Change* change = nullptr);
// The same written into the image (no copy of a whole video frame per frame).
void protect_faces_in_place(Rgb8& image, const std::vector<FaceAlignment>& faces, const CropPerturber& perturber,
                            const ProtectOptions& options, Change* change = nullptr);
void protect_faces_in_place(Rgb8& image, const std::vector<FaceAlignment>& faces, const PerturberChain& chain,
                            Change* change = nullptr);

// Detects faces and protects each; a photo without faces comes back unchanged with no faces
// listed (the caller decides whether that is an error). |out − in| ≤ round(τ·127.5).
ProtectedPhoto protect_photo(const Rgb8& photo, FaceDetector& detector, const CropPerturber& perturber,
                             const ProtectOptions& options);
ProtectedPhoto protect_photo(const Rgb8& photo, FaceDetector& detector, const PerturberChain& chain);

// An already aligned face crop of any size: resized to the perturber's size, perturbed, and
// the perturbation resized back and added.
Rgb8 protect_aligned(const Rgb8& crop, const CropPerturber& perturber, const ProtectOptions& options);
Rgb8 protect_aligned(const Rgb8& crop, const PerturberChain& chain);

// The largest |a − b| (images of one size) in 8-bit levels, over `region` when given (an
// empty one: 0) or the whole image: the ‖x' − x‖∞ a protection reports.
int max_change(const Rgb8& a, const Rgb8& b, const ImageRegion* region = nullptr);

}  // namespace idef
