// Attribute-defence scoring against independent computations: a DSR fixture where exactly
// k of n (image, domain) pairs exceed the threshold, per-pair distances recomputed by hand,
// domains from labels and without, protection on the fly, and missing counterparts.
#include "metrics/attr_scoring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "defence/protect_photo.h"
#include "defence/protection.h"
#include "io/image.h"
#include "io/tensor_image.h"
#include "test_util.h"

namespace idef {
namespace {

Forger tiny_forger(int size = 16, std::uint64_t seed = 3) {
  torch::manual_seed(seed);
  nets::EditorConfig config;
  config.arch = "cnet";
  config.width = 4;
  config.c_dim = 2;
  config.image_size = size;
  Forger f;
  f.name = "tiny";
  f.model.editor = nets::make_editor(config);
  f.model.editor->eval();
  f.model.attributes = {"Black_Hair", "Male"};
  return f;
}

FaceItem pattern_face(const std::string& name, int size, int seed) {
  FaceItem f;
  f.name = name;
  f.source = name;
  f.image = Rgb8(size, size);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c) f.image.at(x, y, c) = static_cast<std::uint8_t>((x * 13 + y * 7 + c * 50 + seed * 31) % 200);
  return f;
}

// x' = x + d in every sample, d in 8-bit units (pattern_face stays under 200: no clamping below d = 56).
Rgb8 shifted(const Rgb8& im, int d) {
  Rgb8 out = im;
  for (auto& v : out.pixels) v = static_cast<std::uint8_t>(std::clamp(int(v) + d, 0, 255));
  return out;
}

double direct_l2(const torch::Tensor& a, const torch::Tensor& b) {
  auto x = a.to(torch::kDouble).contiguous(), y = b.to(torch::kDouble).contiguous();
  double sum = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    double d = x.data_ptr<double>()[i] - y.data_ptr<double>()[i];
    sum += d * d;
  }
  return sum / static_cast<double>(x.numel());
}

TEST(AttrScoring, PairDistancesMatchADirectComputationAtTheForgersSize) {
  Forger f = tiny_forger(16);
  FaceItem face = pattern_face("a.png", 32, 1);  // scored at 32, the forger works at 16
  Rgb8 prot = shifted(face.image, 40);
  torch::Tensor domains = face_domains(face, {}, f.model.attributes);
  Forgeries kept;
  auto pairs = score_face(f, face, prot, domains, 0.05, torch::kCPU, &kept);
  ASSERT_EQ(pairs.size(), 2u);
  torch::NoGradGuard no_grad;
  for (int j = 0; j < 2; ++j) {
    torch::Tensor c = single_attribute_domain(2, j);
    torch::Tensor y = f.model.editor->forward(rgb8_to_tensor(resize_rgb8(face.image, 16, 16)), c);
    torch::Tensor yp = f.model.editor->forward(rgb8_to_tensor(resize_rgb8(prot, 16, 16)), c);
    EXPECT_NEAR(pairs[j].l2, direct_l2(yp, y), 1e-9);
    EXPECT_NEAR(pairs[j].l1, (yp - y).abs().mean().item<double>(), 1e-6);
    EXPECT_EQ(pairs[j].domain, f.model.attributes[j]);
    EXPECT_EQ(pairs[j].image, "a.png");
    EXPECT_EQ(pairs[j].disrupted, pairs[j].l2 > 0.05);
  }
  // PSNR of a uniform shift of 40/255 on [0, 1]: 20·log10(255/40).
  EXPECT_NEAR(pairs[0].psnr, 20 * std::log10(255.0 / 40), 1e-5);  // float images
  EXPECT_EQ(kept.clean.sizes(), (std::vector<std::int64_t>{2, 3, 16, 16}));
  EXPECT_GT(pairs[0].l2, 0);
}

// k of n pairs above the threshold: the threshold is put between the k-th and the
// (k+1)-th largest of the independently computed distances, and one pair sits exactly on
// it (not disrupted: "greater than").
TEST(AttrScoring, DsrCountsExactlyThePairsAboveTheThreshold) {
  Forger f = tiny_forger(16);
  std::vector<AttrPair> pairs;
  for (int i = 0; i < 5; ++i) {
    FaceItem face = pattern_face("f" + std::to_string(i) + ".png", 16, i);
    auto scored = score_face(f, face, shifted(face.image, 10 * (i + 1)), face_domains(face, {}, f.model.attributes),
                             0.05, torch::kCPU);
    pairs.insert(pairs.end(), scored.begin(), scored.end());
  }
  ASSERT_EQ(pairs.size(), 10u);
  std::vector<double> l2s;
  for (const auto& p : pairs) l2s.push_back(p.l2);
  std::sort(l2s.rbegin(), l2s.rend());
  ASSERT_GT(l2s[3], l2s[4]);
  const double threshold = l2s[4];  // 4 pairs are strictly above, one sits on it
  for (auto& p : pairs) p.disrupted = p.l2 > threshold;
  AttrSummary s = summarize_pairs("tiny", pairs, threshold);
  EXPECT_EQ(s.pairs, 10);
  EXPECT_EQ(s.images, 5);
  EXPECT_EQ(s.disrupted, 4);
  EXPECT_DOUBLE_EQ(s.dsr, 0.4);
}

TEST(AttrScoring, SummaryOfHandMadePairs) {
  std::vector<AttrPair> pairs;
  // Two images × two domains; L2 0.01, 0.06, 0.05 (on the threshold), 0.2; another forger's pair is ignored.
  pairs.push_back({"a", "m", "A0", 0.1, 0.01, false, 30, 0.9});
  pairs.push_back({"a", "m", "A1", 0.2, 0.06, true, 30, 0.9});
  pairs.push_back({"b", "m", "A0", 0.3, 0.05, false, 40, 0.7});
  pairs.push_back({"b", "m", "A1", 0.4, 0.2, true, 40, 0.7});
  pairs.push_back({"a", "other", "A0", 9, 9, true, 1, 0});
  AttrSummary s = summarize_pairs("m", pairs, 0.05);
  EXPECT_EQ(s.images, 2);
  EXPECT_EQ(s.pairs, 4);
  EXPECT_EQ(s.disrupted, 2);
  EXPECT_DOUBLE_EQ(s.dsr, 0.5);
  EXPECT_NEAR(s.l1, 0.25, 1e-12);
  EXPECT_NEAR(s.l2, 0.08, 1e-12);
  EXPECT_NEAR(s.psnr, 35, 1e-12);
  EXPECT_NEAR(s.ssim, 0.8, 1e-12);
  EXPECT_THROW(summarize_pairs("nobody", pairs, 0.05), Error);
}

TEST(AttrScoring, DomainsFromLabelsAreStarGansTargetsAndWithoutLabelsOneAttributeEach) {
  FaceItem face = pattern_face("a", 16, 0);
  torch::Tensor plain = face_domains(face, {}, {"Black_Hair", "Blond_Hair", "Male"});
  EXPECT_TRUE(torch::equal(plain, torch::eye(3)));
  // Labels in another column order than the editor's: Male = 1, Black_Hair = 0, Blond_Hair = 1.
  face.labels = {1, 0, 1};
  torch::Tensor t = face_domains(face, {"Male", "Black_Hair", "Blond_Hair"}, {"Black_Hair", "Blond_Hair", "Male"});
  // Black hair set (blond cleared), blond set, male flipped.
  torch::Tensor expected = torch::tensor({1.f, 0.f, 1.f, 0.f, 1.f, 1.f, 0.f, 1.f, 0.f}).reshape({3, 3});
  EXPECT_TRUE(torch::equal(t, expected)) << t;
  EXPECT_THROW(face_domains(face, {"Male"}, {"Eyeglasses"}), Error);
}

// --labels: a row named after a photo labels all of its faces, a row NAME#k that face alone;
// faces without a row keep no labels and are returned.
TEST(AttrScoring, LabelFacesByPhotoAndByFaceRows) {
  auto face = [](const std::string& name, const std::string& counterpart) {
    FaceItem f;
    f.name = name;
    f.counterpart = counterpart;
    return f;
  };
  FaceSet set;
  set.faces = {face("group.jpg", "group.jpg"), face("group.jpg#2", "group.jpg"), face("group.jpg#3", "group.jpg"),
               face("sub/solo.png", ""), face("other.png", "")};
  AttributeList list;
  list.names = {"Male", "Black_Hair"};
  list.files = {"group.jpg", "group.jpg#2", "sub/solo.png"};
  list.values = {{1, -1}, {-1, 1}, {-1, -1}};
  EXPECT_EQ(label_faces(set, list), std::vector<std::string>{"other.png"});
  EXPECT_EQ(set.attributes, list.names);
  EXPECT_EQ(set.faces[0].labels, (std::vector<float>{1, 0}));
  EXPECT_EQ(set.faces[1].labels, (std::vector<float>{0, 1}));  // its own row, not the photo's
  EXPECT_EQ(set.faces[2].labels, (std::vector<float>{1, 0}));
  EXPECT_EQ(set.faces[3].labels, (std::vector<float>{0, 0}));
  EXPECT_TRUE(set.faces[4].labels.empty());
}

TEST(AttrScoring, FgsmAgainstTheForgerDisruptsMoreThanNoise) {
  Forger f = tiny_forger(16, 5);
  FaceItem face = pattern_face("a", 16, 3);
  auto domains = face_domains(face, {}, f.model.attributes);
  auto scored = [&](const std::string& method) {
    ProtectionSettings s;
    s.method = method;
    s.epsilon = 0.05;
    Protection p = make_protection(s, nullptr, method == "noise" ? nullptr : &f.model);
    return score_face(f, face, protect_aligned(face.image, p.perturber, p.options), domains, 0.05, torch::kCPU);
  };
  auto noise = scored("noise"), fgsm = scored("fgsm");
  EXPECT_GT(fgsm[0].l2 + fgsm[1].l2, noise[0].l2 + noise[1].l2);
}

TEST(AttrScoring, MissingOrResizedCounterpartsAreInputErrors) {
  test::ScratchDir dir;
  FaceItem face = pattern_face("x.png", 16, 0);
  face.source = dir / "clean/x.png";
  std::filesystem::create_directories(dir / "clean");
  std::filesystem::create_directories(dir / "prot");
  save_rgb8(face.source, face.image);
  try {
    load_protected_face(dir / "prot", face, 0);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing (counterpart of '" + face.source + "')"), std::string::npos) << e.what();
  }
  save_rgb8(dir / "prot/x.png", Rgb8(20, 16));
  try {
    load_protected_face(dir / "prot", face, 0);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("size mismatch: it is 20x16"), std::string::npos) << e.what();
  }
  save_rgb8(dir / "prot/x.png", shifted(face.image, 3));
  EXPECT_EQ(load_protected_face(dir / "prot", face, 0), shifted(face.image, 3));
}

}  // namespace
}  // namespace idef
