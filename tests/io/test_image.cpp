#include "io/image.h"

#include <gtest/gtest.h>
#include <vips/vips8>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using vips::VImage;

namespace idef {
namespace {

using test::ScratchDir;
using test::testdata;

template <typename T>
std::vector<T> samples(const VImage& image) {
  size_t size = 0;
  void* mem = image.write_to_memory(&size);
  std::vector<T> out(static_cast<T*>(mem), static_cast<T*>(mem) + size / sizeof(T));
  g_free(mem);
  return out;
}

double mean_abs_diff(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  EXPECT_EQ(a.size(), b.size());
  double sum = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) sum += std::abs(int(a[i]) - int(b[i]));
  return sum / double(a.size());
}

std::vector<std::string> files_in(const ScratchDir& dir) {
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class ImageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { libvips_version(); /* starts libvips */ }

  // A non-square crop of the portrait (face included): small, and rotations show.
  static VImage portrait() {
    return VImage::new_from_file(testdata("astronaut.png").c_str()).crop(150, 40, 160, 120);
  }
  std::string write(const VImage& image, const std::string& name, vips::VOption* options = nullptr) {
    std::string path = dir / name;
    image.write_to_file(path.c_str(), options);
    return path;
  }
  static Rgb8 plus_noise(Rgb8 rgb) {
    for (size_t i = 0; i < rgb.pixels.size(); ++i)
      rgb.pixels[i] = std::uint8_t(std::clamp(int(rgb.pixels[i]) + int(i * 7919 % 7) - 3, 0, 255));
    return rgb;
  }

  ScratchDir dir;
};

TEST_F(ImageTest, LoadsPngAsRgb8View) {
  VImage src = portrait();
  Image image = Image::load(write(src, "in.png"));
  EXPECT_EQ(image.width(), 160);
  EXPECT_EQ(image.height(), 120);
  EXPECT_FALSE(image.has_alpha());
  EXPECT_EQ(image.loader().rfind("pngload", 0), 0u);
  EXPECT_EQ(image.rgb().pixels, samples<std::uint8_t>(src));
}

TEST_F(ImageTest, LosslessFormatsRoundTripBitExactly) {
  VImage src = portrait();
  for (std::string name : {"in.png", "in.tif", "in.webp"}) {
    SCOPED_TRACE(name);
    std::string in = name == "in.webp" ? write(src, name, VImage::option()->set("lossless", true))
                                       : write(src, name);
    Image image = Image::load(in);
    ASSERT_EQ(image.rgb().pixels, samples<std::uint8_t>(src));
    std::string out = dir / ("out" + fs::path(name).extension().string());
    image.save(out, image.rgb());
    Image back = Image::load(out);
    EXPECT_EQ(back.rgb(), image.rgb());
    EXPECT_EQ(back.loader().substr(0, 4), image.loader().substr(0, 4));
  }
}

TEST_F(ImageTest, ModifiedPixelsAreWrittenExactlyToLosslessFormats) {
  Image image = Image::load(write(portrait(), "in.png"));
  Rgb8 modified = plus_noise(image.rgb());
  ASSERT_NE(modified, image.rgb());
  for (std::string name : {"out.png", "out.webp", "out.tif"}) {
    SCOPED_TRACE(name);
    image.save(dir / name, modified);
    EXPECT_EQ(Image::load(dir / name).rgb(), modified);
  }
}

TEST_F(ImageTest, OutputFormatFollowsExtensionOrExplicitName) {
  Image image = Image::load(write(portrait(), "in.png"));
  image.save(dir / "out.jpg", image.rgb());
  EXPECT_EQ(Image::load(dir / "out.jpg").loader().rfind("jpegload", 0), 0u);
  ImageSaveOptions as_webp;
  as_webp.format = "webp";
  image.save(dir / "out.png", image.rgb(), as_webp);
  EXPECT_EQ(Image::load(dir / "out.png").loader().rfind("webpload", 0), 0u);
  EXPECT_EQ(image_saver_for(dir / "out.jpg"), "jpegsave");
  EXPECT_EQ(image_saver_for("-", ".webp"), "webpsave");
  EXPECT_THROW(image_saver_for(dir / "out.nosuchformat"), UsageError);
  EXPECT_THROW(image.save(dir / "out.nosuchformat", image.rgb()), UsageError);
  EXPECT_FALSE(fs::exists(dir / "out.nosuchformat"));
}

TEST_F(ImageTest, BuffersRoundTripAndStdoutDefaultsToInputFormat) {
  VImage src = portrait();
  void* buf = nullptr;
  size_t size = 0;
  src.write_to_buffer(".png", &buf, &size);
  std::string bytes(static_cast<char*>(buf), size);
  g_free(buf);
  Image image = Image::load_buffer(bytes, "-");
  EXPECT_EQ(image.rgb().pixels, samples<std::uint8_t>(src));
  std::string out = image.save_buffer(image.rgb());  // no format: the input's own, PNG
  EXPECT_EQ(out.substr(1, 3), "PNG");
  EXPECT_EQ(Image::load_buffer(out, "-").rgb(), image.rgb());
}

TEST_F(ImageTest, LoadsFromStandardInput) {
  VImage src = portrait();
  std::string path = write(src, "stdin.jpg");
  ASSERT_NE(std::freopen(path.c_str(), "rb", stdin), nullptr);
  Image image = Image::load("-");
  std::cin.clear();
  ASSERT_NE(std::freopen("/dev/null", "rb", stdin), nullptr);
  EXPECT_EQ(image.name(), "-");
  EXPECT_EQ(image.loader().rfind("jpegload", 0), 0u);
  EXPECT_EQ(image.width(), 160);
  // For stdout without a format name the input's own format is used.
  EXPECT_EQ(image.save_buffer(image.rgb()).substr(0, 3), "\xFF\xD8\xFF");
}

TEST_F(ImageTest, JpegIsLossyButCloseAtDefaultQuality) {
  VImage src = portrait();
  Image image = Image::load(write(src, "in.jpg", VImage::option()->set("Q", 95)));
  EXPECT_LT(mean_abs_diff(image.rgb().pixels, samples<std::uint8_t>(src)), 2.0);
  image.save(dir / "out.jpg", image.rgb());
  Image back = Image::load(dir / "out.jpg");
  EXPECT_EQ(back.width(), 160);
  EXPECT_LT(mean_abs_diff(back.rgb().pixels, image.rgb().pixels), 2.0);
  // A lower quality setting really reaches the encoder.
  ImageSaveOptions low;
  low.jpeg_quality = 10;
  image.save(dir / "low.jpg", image.rgb(), low);
  EXPECT_LT(fs::file_size(dir / "low.jpg"), fs::file_size(dir / "out.jpg") / 2);
}

TEST_F(ImageTest, GreyBecomesRgbWithEqualChannels) {
  VImage grey = portrait().colourspace(VIPS_INTERPRETATION_B_W);
  ASSERT_EQ(grey.bands(), 1);
  Image image = Image::load(write(grey, "grey.png"));
  auto g = samples<std::uint8_t>(grey);
  ASSERT_EQ(image.rgb().pixels.size(), g.size() * 3);
  for (size_t i = 0; i < g.size(); ++i)
    for (int c = 0; c < 3; ++c) ASSERT_EQ(image.rgb().pixels[i * 3 + c], g[i]);
  image.save(dir / "out.png", image.rgb());
  VImage out = VImage::new_from_file((dir / "out.png").c_str());
  EXPECT_EQ(out.bands(), 3);  // colour perturbations need colour output
  EXPECT_EQ(Image::load(dir / "out.png").rgb(), image.rgb());
}

TEST_F(ImageTest, GreyAlphaKeepsItsAlpha) {
  VImage grey = portrait().colourspace(VIPS_INTERPRETATION_B_W);
  VImage alpha = (VImage::xyz(160, 120)[0] * 1.5).cast(VIPS_FORMAT_UCHAR);
  Image image = Image::load(write(grey.bandjoin(alpha), "ga.png"));
  EXPECT_TRUE(image.has_alpha());
  image.save(dir / "out.png", image.rgb());
  VImage out = VImage::new_from_file((dir / "out.png").c_str());
  ASSERT_EQ(out.bands(), 4);
  EXPECT_EQ(samples<std::uint8_t>(out[3]), samples<std::uint8_t>(alpha));
}

TEST_F(ImageTest, RgbaKeepsAlphaInPngAndWebp) {
  VImage src = portrait();
  VImage alpha = (VImage::xyz(160, 120)[1] * 2).cast(VIPS_FORMAT_UCHAR);
  Image image = Image::load(write(src.bandjoin(alpha), "rgba.png"));
  EXPECT_TRUE(image.has_alpha());
  EXPECT_EQ(image.rgb().pixels, samples<std::uint8_t>(src));
  for (std::string name : {"out.png", "out.webp"}) {
    SCOPED_TRACE(name);
    image.save(dir / name, plus_noise(image.rgb()));
    VImage out = VImage::new_from_file((dir / name).c_str());
    ASSERT_EQ(out.bands(), 4);
    EXPECT_EQ(samples<std::uint8_t>(out[3]), samples<std::uint8_t>(alpha));
  }
}

TEST_F(ImageTest, SixteenBitStaysSixteenBitAndUnmodifiedPixelsBitExact) {
  // Low bits that an 8-bit detour would lose.
  VImage src8 = portrait();
  VImage src16 = (src8.cast(VIPS_FORMAT_USHORT) * 256 + (VImage::xyz(160, 120)[0] % 256))
                     .cast(VIPS_FORMAT_USHORT)
                     .copy(VImage::option()->set("interpretation", int(VIPS_INTERPRETATION_RGB16)));
  VImage alpha16 = (VImage::xyz(160, 120)[1] * 500).cast(VIPS_FORMAT_USHORT);
  Image image = Image::load(write(src16.bandjoin(alpha16), "in16.png"));
  EXPECT_TRUE(image.is_16bit());
  EXPECT_TRUE(image.has_alpha());
  auto v = samples<std::uint16_t>(src16);
  for (size_t i = 0; i < v.size(); i += 97) ASSERT_EQ(image.rgb().pixels[i], (v[i] + 128) / 257);

  Rgb8 modified = image.rgb();
  modified.at(10, 20, 1) = std::uint8_t(modified.at(10, 20, 1) < 128 ? modified.at(10, 20, 1) + 5
                                                                      : modified.at(10, 20, 1) - 5);
  int change = int(modified.at(10, 20, 1)) - int(image.rgb().at(10, 20, 1));
  image.save(dir / "out16.png", modified);
  VImage out = VImage::new_from_file((dir / "out16.png").c_str());
  ASSERT_EQ(out.format(), VIPS_FORMAT_USHORT);
  ASSERT_EQ(out.bands(), 4);
  auto o = samples<std::uint16_t>(out);
  auto a = samples<std::uint16_t>(alpha16);
  size_t changed = (20 * 160 + 10) * 3 + 1;
  for (size_t p = 0; p < size_t(160 * 120); ++p) {
    for (int c = 0; c < 3; ++c) {
      size_t i = p * 3 + c;
      int expected = i == changed ? int(v[i]) + 257 * change : int(v[i]);
      ASSERT_EQ(o[p * 4 + c], expected) << "sample " << i;
    }
    ASSERT_EQ(o[p * 4 + 3], a[p]);  // alpha at 16 bits, untouched
  }
  // A format without 16-bit samples gets the 8-bit view (WebP forgets the colour of fully
  // transparent pixels, so those are not compared).
  image.save(dir / "out.webp", image.rgb());
  Rgb8 webp = Image::load(dir / "out.webp").rgb();
  ASSERT_EQ(webp.pixels.size(), image.rgb().pixels.size());
  size_t compared = 0;
  for (size_t p = 0; p < size_t(160 * 120); ++p) {
    if (a[p] < 257) continue;
    ++compared;
    for (int c = 0; c < 3; ++c) ASSERT_EQ(webp.pixels[p * 3 + c], image.rgb().pixels[p * 3 + c]) << p;
  }
  EXPECT_GT(compared, size_t(160 * 100));
}

TEST_F(ImageTest, SixteenBitGreyBecomesSixteenBitRgb) {
  VImage grey16 = (portrait().colourspace(VIPS_INTERPRETATION_B_W).cast(VIPS_FORMAT_USHORT) * 256 + 17)
                      .cast(VIPS_FORMAT_USHORT)
                      .copy(VImage::option()->set("interpretation", int(VIPS_INTERPRETATION_GREY16)));
  Image image = Image::load(write(grey16, "grey16.png"));
  EXPECT_TRUE(image.is_16bit());
  image.save(dir / "out.png", image.rgb());
  VImage out = VImage::new_from_file((dir / "out.png").c_str());
  ASSERT_EQ(out.bands(), 3);
  ASSERT_EQ(out.format(), VIPS_FORMAT_USHORT);
  auto g = samples<std::uint16_t>(grey16), o = samples<std::uint16_t>(out);
  for (size_t i = 0; i < g.size(); ++i)
    for (int c = 0; c < 3; ++c) ASSERT_EQ(o[i * 3 + c], g[i]) << i;
}

TEST_F(ImageTest, FloatInputIsTakenOnTheZeroTo255Scale) {
  VImage src = portrait();
  Image image = Image::load(write(src.cast(VIPS_FORMAT_FLOAT), "float.v"));
  EXPECT_EQ(image.rgb().pixels, samples<std::uint8_t>(src));
  image.save(dir / "out.png", image.rgb());
  EXPECT_EQ(VImage::new_from_file((dir / "out.png").c_str()).format(), VIPS_FORMAT_UCHAR);
}

TEST_F(ImageTest, CmykJpegIsConvertedToSrgbWithItsProfile) {
  VImage cmyk = portrait().icc_transform("cmyk");
  ASSERT_EQ(cmyk.bands(), 4);
  Image image = Image::load(write(cmyk, "cmyk.jpg", VImage::option()->set("Q", 98)));
  EXPECT_EQ(image.interpretation(), "cmyk");
  EXPECT_FALSE(image.has_alpha());
  EXPECT_LT(mean_abs_diff(image.rgb().pixels, samples<std::uint8_t>(portrait())), 8.0);
  image.save(dir / "out.png", image.rgb());
  VImage out = VImage::new_from_file((dir / "out.png").c_str());
  EXPECT_EQ(out.bands(), 3);
  EXPECT_EQ(out.get_typeof(VIPS_META_ICC_NAME), 0u);  // a CMYK profile would not fit
  EXPECT_EQ(Image::load(dir / "out.png").rgb(), image.rgb());
}

TEST_F(ImageTest, ExifOrientationIsAppliedAndResetOnOutput) {
  VImage src = portrait().copy();
  src.set(VIPS_META_ORIENTATION, 6);  // "rotate 90° clockwise to display"
  Image image = Image::load(write(src, "rotated.jpg", VImage::option()->set("Q", 100)));
  ASSERT_EQ(image.width(), 120);
  ASSERT_EQ(image.height(), 160);
  auto upright = samples<std::uint8_t>(portrait().rot90());
  auto wrong_way = samples<std::uint8_t>(portrait().rot270());
  EXPECT_LT(mean_abs_diff(image.rgb().pixels, upright), 2.0);
  EXPECT_GT(mean_abs_diff(image.rgb().pixels, wrong_way), 10.0);

  image.save(dir / "out.jpg", image.rgb());
  VImage out = VImage::new_from_file((dir / "out.jpg").c_str());
  EXPECT_EQ(out.width(), 120);
  if (out.get_typeof(VIPS_META_ORIENTATION)) EXPECT_EQ(out.get_int(VIPS_META_ORIENTATION), 1);
  Image again = Image::load(dir / "out.jpg");
  EXPECT_EQ(again.width(), 120);  // not rotated a second time
}

TEST_F(ImageTest, IccProfileKeptAndCodeValuesUsedAsTheyAre) {
  VImage tagged = portrait().icc_transform("srgb", VImage::option()->set("input_profile", "srgb"));
  ASSERT_NE(tagged.get_typeof(VIPS_META_ICC_NAME), 0u);
  size_t icc_size = 0;
  const void* icc = tagged.get_blob(VIPS_META_ICC_NAME, &icc_size);
  std::string profile(static_cast<const char*>(icc), icc_size);
  Image image = Image::load(write(tagged, "icc.png"));
  EXPECT_TRUE(image.has_icc_profile());
  EXPECT_EQ(image.rgb().pixels, samples<std::uint8_t>(tagged));
  for (std::string name : {"out.png", "out.jpg", "out.tif"}) {
    SCOPED_TRACE(name);
    image.save(dir / name, image.rgb());
    VImage out = VImage::new_from_file((dir / name).c_str());
    ASSERT_NE(out.get_typeof(VIPS_META_ICC_NAME), 0u);
    size_t size = 0;
    const void* data = out.get_blob(VIPS_META_ICC_NAME, &size);
    EXPECT_EQ(std::string(static_cast<const char*>(data), size), profile);
  }
}

TEST_F(ImageTest, ExifKeptUnlessStripped) {
  VImage src = portrait().copy();
  src.set("exif-ifd0-Artist", "Initiative Test");
  Image image = Image::load(write(src, "exif.jpg"));
  ImageSaveOptions strip;
  strip.strip_metadata = true;
  for (std::string name : {"kept.jpg", "kept.png", "kept.webp"}) {
    SCOPED_TRACE(name);
    image.save(dir / name, image.rgb());
    VImage out = VImage::new_from_file((dir / name).c_str());
    ASSERT_NE(out.get_typeof("exif-ifd0-Artist"), 0u);
    EXPECT_EQ(std::string(out.get_string("exif-ifd0-Artist")).rfind("Initiative Test", 0), 0u);
  }
  image.save(dir / "stripped.jpg", image.rgb(), strip);
  VImage out = VImage::new_from_file((dir / "stripped.jpg").c_str());
  EXPECT_EQ(out.get_typeof("exif-ifd0-Artist"), 0u);
  // libvips may still write a minimal EXIF block (resolution, size), never the original's.
  if (out.get_typeof(VIPS_META_EXIF_NAME)) {
    size_t size = 0;
    const void* exif = out.get_blob(VIPS_META_EXIF_NAME, &size);
    EXPECT_EQ(std::string(static_cast<const char*>(exif), size).find("Initiative Test"), std::string::npos);
  }
}

TEST_F(ImageTest, PalettePngIsWrittenAsTruecolour) {
  Image image = Image::load(write(portrait(), "palette.png", VImage::option()->set("palette", true)));
  Rgb8 modified = plus_noise(image.rgb());
  image.save(dir / "out.png", modified);
  EXPECT_EQ(Image::load(dir / "out.png").rgb(), modified);  // quantising would lose the noise
}

// ---- bad inputs: each a clear InputError naming the input, and nothing written ----

void expect_input_error(const std::string& path, const std::string& reason_part,
                        const ImageLoadOptions& options = {}) {
  try {
    Image::load(path, options);
    FAIL() << "loaded " << path;
  } catch (const InputError& e) {
    EXPECT_EQ(e.input(), path);
    EXPECT_NE(std::string(e.what()).find("cannot read '" + path + "': "), std::string::npos) << e.what();
    EXPECT_NE(e.reason().find(reason_part), std::string::npos) << e.what();
  }
}

TEST_F(ImageTest, ZeroByteFileIsAnInputError) {
  std::ofstream(dir / "empty.png").close();
  expect_input_error(dir / "empty.png", "empty");
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"empty.png"});
}

TEST_F(ImageTest, MissingFileIsAnInputError) { expect_input_error(dir / "nothing.png", "no such file"); }

TEST_F(ImageTest, TextFileIsAnInputError) {
  std::ofstream(dir / "notes.png") << "these are not pixels\n";
  expect_input_error(dir / "notes.png", "not an image");
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"notes.png"});
}

void cut_in_half(const std::string& path) {
  auto size = fs::file_size(path);
  fs::resize_file(path, size / 2);
}

TEST_F(ImageTest, TruncatedJpegIsAnInputError) {
  std::string path = write(portrait(), "cut.jpg");
  cut_in_half(path);
  expect_input_error(path, "");
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"cut.jpg"});
}

TEST_F(ImageTest, TruncatedPngIsAnInputError) {
  std::string path = write(portrait(), "cut.png");
  cut_in_half(path);
  expect_input_error(path, "");
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"cut.png"});
}

TEST_F(ImageTest, OverThePixelLimitIsAnInputErrorBeforeDecoding) {
  std::string path = write(portrait(), "big.png");
  ImageLoadOptions small;
  small.max_pixels = 10000;
  expect_input_error(path, "image is 160×120 = 19200 pixels, over the limit of 10000 (--max-pixels)", small);
  small.max_pixels = 19200;
  EXPECT_NO_THROW(Image::load(path, small));
}

// libvips' WebP loader allocates the canvas a file declares while it reads the header, before
// the pixel limit could be checked: a 100-byte file claiming 11544×15917 made it take 735 MB
// (found by fuzz_image). The declared size is read from the file's first bytes and refused
// first, from a file and from a buffer.
TEST_F(ImageTest, AWebpDeclaringAHugeCanvasIsRefusedBeforeLibvipsAllocatesIt) {
  VipsBlob* blob = vips::VImage::black(16, 16, vips::VImage::option()->set("bands", 3))
                       .webpsave_buffer(vips::VImage::option()->set("Q", 50));
  std::size_t size = 0;
  const void* data = vips_blob_get(blob, &size);
  std::string bytes(static_cast<const char*>(data), size);  // a lossy WebP: RIFF, WEBP, "VP8 ", frame header
  vips_area_unref(VIPS_AREA(blob));
  // The frame header's 14-bit sizes, and an extended file's canvas (24 bits, minus one).
  const std::size_t frame = bytes.find("VP8 ");
  ASSERT_NE(frame, std::string::npos);
  auto put = [&](std::size_t at, int v, int n) {
    for (int k = 0; k < n; ++k) bytes[at + k] = char((v >> (8 * k)) & 0xff);
  };
  put(frame + 14, 11544, 2), put(frame + 16, 15917, 2);
  if (bytes.substr(12, 4) == "VP8X") put(24, 11544 - 1, 3), put(27, 15917 - 1, 3);
  const std::string path = dir / "bomb.webp";
  idef::write_all(path, bytes);
  const std::size_t before = vips_tracked_get_mem_highwater();
  expect_input_error(path, "image is 11544×15917 = 183745848 pixels, over the limit of 100000000 (--max-pixels)");
  try {
    Image::load_buffer(bytes, "-");
    ADD_FAILURE() << "loaded the buffer";
  } catch (const InputError& e) {
    EXPECT_NE(e.reason().find("over the limit"), std::string::npos) << e.what();
  }
  EXPECT_LT(vips_tracked_get_mem_highwater(), before + (std::size_t(64) << 20));
}

TEST_F(ImageTest, FailedSaveLeavesNoFile) {
  Image image = Image::load(write(portrait(), "in.png"));
  fs::create_directory(dir / "taken.png");  // the rename onto a directory must fail
  EXPECT_THROW(image.save(dir / "taken.png", image.rgb()), OutputError);
  EXPECT_EQ(files_in(dir), (std::vector<std::string>{"in.png", "taken.png"}));
  EXPECT_THROW(image.save(dir / "wrong.png", Rgb8(3, 3)), std::invalid_argument);
  EXPECT_FALSE(fs::exists(dir / "wrong.png"));
}

// Float TIFF, PFM and Radiance HDR do not say whether their samples are linear light or
// gamma-coded, nor on what scale: read as linear they came out washed out (a float TIFF,
// 14.7 dB) or black (a PFM at 0.5). They are refused, naming the file and the reason.
TEST_F(ImageTest, FloatAndHdrFormatsWithoutAStatedScaleAreRefused) {
  VImage unit = portrait().cast(VIPS_FORMAT_FLOAT) / 255.0;
  std::vector<std::string> files = {write(unit, "float.tif"), write(unit, "half.pfm"),
                                    write(unit.copy(VImage::option()->set("interpretation", int(VIPS_INTERPRETATION_scRGB))),
                                          "light.hdr")};
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    expect_input_error(file, "floating-point (HDR or linear-light) samples");
    std::string bytes = idef::read_all(file);
    try {
      Image::load_buffer(bytes, "-");
      ADD_FAILURE() << "loaded from a buffer";
    } catch (const idef::InputError& e) {
      EXPECT_NE(std::string(e.what()).find("floating-point"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace idef
