// Still images through libvips: load anything libvips loads, give the networks an 8-bit
// sRGB view, and save a modified view while keeping what the original carried.
//
// Policies (the network view is what the perturbation is computed on):
// - EXIF orientation is applied at load; the output is upright with orientation 1.
// - RGB with an ICC profile: the code values are the network view as they are, without
//   colour management (a forger's loader ignores ICC too); the profile is kept on output.
// - Grey (8/16-bit, with or without alpha): replicated to RGB. The perturbation is colour,
//   so the output is RGB; a grey ICC profile no longer fits and is dropped.
// - CMYK: converted to sRGB with the embedded ICC profile, or libvips' built-in CMYK profile
//   when there is none. The output is sRGB RGB without a profile (sRGB is the default).
// - 16-bit RGB or grey: the view is round(v / 257). Output stays 16-bit where the format
//   can hold it; each sample becomes v + 257 × (new8 − old8), so unmodified pixels stay
//   bit-exact. Formats without 16-bit (JPEG, WebP, …) get the 8-bit view.
// - Anything else (float, signed, Lab, …): libvips' colourspace conversion to sRGB, float
//   sRGB/grey taken on libvips' 0–255 scale; written back as 8-bit sRGB.
// - Alpha is kept unchanged at its original depth (converted only where the colour depth
//   changes); formats without alpha (JPEG) get what libvips does: alpha flattened.
// - Metadata (EXIF, XMP, IPTC, resolution, …) is kept unless strip_metadata; the ICC
//   profile is kept even then, because the colours depend on it.
// - Output is never palette-quantised: palette PNG inputs are written as truecolour.
// - Multi-page inputs (GIF, TIFF): the first page only.
// - JPEG output is lossy and weakens the protection; quality is a setting (default 95).
//   WebP is written lossless (but, with libvips 8.14, without the colour of fully
//   transparent pixels); PNG and TIFF are lossless anyway.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "io/rgb8.h"

namespace idef {

struct ImageLoadOptions {
  // Decompression-bomb guard, checked from the header before any pixel is decoded.
  std::uint64_t max_pixels = 100'000'000;
};

struct ImageSaveOptions {
  int jpeg_quality = 95;        // also used for HEIF/AVIF; JPEG is lossy whatever the value
  bool strip_metadata = false;  // drop EXIF/XMP/IPTC and the like (the ICC profile stays)
  // Format name or suffix ("png", ".jpg"): required for "-" unless the input's own format
  // should be used; overrides the extension of a file name.
  std::string format;
};

class Image {
 public:
  // Loads a file, or standard input for "-", decoding it fully: a truncated or corrupt file
  // fails here with an InputError naming it.
  static Image load(const std::string& path, const ImageLoadOptions& options = {});
  // Same from bytes in memory; `name` is what error messages call the input.
  static Image load_buffer(std::string bytes, const std::string& name,
                           const ImageLoadOptions& options = {});

  int width() const;
  int height() const;
  const Rgb8& rgb() const;  // the network view

  bool has_alpha() const;
  bool has_icc_profile() const;
  bool is_16bit() const;
  std::string interpretation() const;  // libvips' name: "srgb", "b-w", "cmyk", "rgb16", …
  std::string loader() const;          // libvips loader, e.g. "jpegload"
  const std::string& name() const;     // the path given to load()

  // Writes `modified` (same size as rgb()) with the original's alpha, profile, metadata and
  // depth to `path` ("-" = stdout), atomically. The format follows options.format or the
  // extension of `path`; for "-" without a format, the input's own format (PNG if libvips
  // cannot write that).
  void save(const std::string& path, const Rgb8& modified, const ImageSaveOptions& options = {}) const;
  // Same, into memory; `format` as in ImageSaveOptions (empty = the input's own format).
  std::string save_buffer(const Rgb8& modified, const ImageSaveOptions& options = {}) const;

  struct State;

 private:
  explicit Image(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// The libvips saver for an output name and optional explicit format ("jpegsave", …);
// throws UsageError when libvips cannot write such a file. Tools call this while checking
// options, before reading any input.
std::string image_saver_for(const std::string& path, const std::string& format = "");

// Writes a new picture (no original to keep metadata from) to `path` ("-" = stdout),
// atomically; the format follows options.format or the extension, as for Image::save.
void save_rgb8(const std::string& path, const Rgb8& rgb, const ImageSaveOptions& options = {});
// The same into memory; options.format is required ("png", ".jpg", ...).
std::string encode_rgb8(const Rgb8& rgb, const ImageSaveOptions& options);

// Resampling for dataset preparation: a box cut out of `rgb`, and a resize to w×h
// (libvips' reduce with a Lanczos kernel when shrinking, bilinear when enlarging).
Rgb8 crop_rgb8(const Rgb8& rgb, int left, int top, int width, int height);
Rgb8 resize_rgb8(const Rgb8& rgb, int width, int height);

// Whether a file name looks like an image libvips reads, by its extension (for scanning
// folders: other files there are not inputs).
bool has_image_extension(const std::string& path);

// Starts libvips once per process; anything that calls libvips directly calls this first.
void ensure_vips();
// Versions for --version.
std::string libvips_version();

}  // namespace idef
