#include "io/image.h"

#include <vips/vips8>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace fs = std::filesystem;
using vips::VError;
using vips::VImage;

namespace idef {

void ensure_vips() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = vips_init("idefense") == 0;
    // Every image is decoded into memory at once, so the operation cache would only hold
    // on to large buffers (and to stale files when a name is rewritten in a batch).
    if (ok) vips_cache_set_max(0);
  });
  if (!ok) throw Error("cannot start libvips: " + std::string(vips_error_buffer()));
}

namespace {

// libvips' error buffer, one line per message with the "VipsJpeg: " domains dropped.
std::string vips_reason(const std::string& raw) {
  vips_error_clear();
  std::istringstream lines(raw);
  std::string line, out;
  std::set<std::string> seen;
  while (std::getline(lines, line)) {
    auto colon = line.find(": ");
    bool domain = colon != std::string::npos && line.find(' ') > colon &&
                  (line.rfind("Vips", 0) == 0 || line.rfind("vips", 0) == 0);
    if (domain) line = line.substr(colon + 2);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\n')) line.pop_back();
    if (line.empty() || !seen.insert(line).second) continue;
    out += (out.empty() ? "" : "; ") + line;
  }
  return out.empty() ? "libvips failed without saying why" : out;
}

enum class Kind { Rgb8, Rgb16, Grey8, Grey16, Cmyk, Other };

bool is_alpha_layout(int bands, VipsInterpretation interp) {
  bool cmyk = interp == VIPS_INTERPRETATION_CMYK;
  return bands == 2 || (bands == 4 && !cmyk) || (bands == 5 && cmyk);
}

Kind classify(const VImage& colour) {
  VipsInterpretation interp = colour.interpretation();
  VipsBandFormat format = colour.format();
  int bands = colour.bands();
  if (interp == VIPS_INTERPRETATION_CMYK && bands == 4) return Kind::Cmyk;
  bool rgbish = interp == VIPS_INTERPRETATION_sRGB || interp == VIPS_INTERPRETATION_RGB ||
                interp == VIPS_INTERPRETATION_RGB16 || interp == VIPS_INTERPRETATION_MULTIBAND;
  bool greyish = interp == VIPS_INTERPRETATION_B_W || interp == VIPS_INTERPRETATION_GREY16 ||
                 interp == VIPS_INTERPRETATION_MULTIBAND;
  if (bands == 1 && greyish && format == VIPS_FORMAT_UCHAR) return Kind::Grey8;
  if (bands == 1 && greyish && format == VIPS_FORMAT_USHORT) return Kind::Grey16;
  if (bands == 3 && rgbish && format == VIPS_FORMAT_UCHAR) return Kind::Rgb8;
  if (bands == 3 && rgbish && format == VIPS_FORMAT_USHORT) return Kind::Rgb16;
  return Kind::Other;
}

// round(v / 257): the 8-bit value nearest a 16-bit one.
inline std::uint8_t to8(std::uint16_t v) { return std::uint8_t((unsigned(v) + 128) / 257); }

template <typename T>
std::vector<T> pixels_of(const VImage& image) {
  size_t size = 0;
  void* mem = image.write_to_memory(&size);
  std::vector<T> out(size / sizeof(T));
  std::memcpy(out.data(), mem, out.size() * sizeof(T));
  g_free(mem);
  return out;
}

VImage rgb8_image(const Rgb8& rgb) {
  return VImage::new_from_memory(const_cast<std::uint8_t*>(rgb.data()), rgb.pixels.size(),
                                 rgb.width, rgb.height, 3, VIPS_FORMAT_UCHAR);
}

// Whether a saver stores 16-bit samples as they are (PNG, TIFF, …) rather than casting.
bool saver_keeps_16bit(const std::string& saver) {
  GType type = vips_type_find("VipsOperation", saver.c_str());
  if (!type) return false;
  auto* klass = static_cast<VipsForeignSaveClass*>(g_type_class_ref(type));
  bool keeps = klass->format_table && klass->format_table[VIPS_FORMAT_USHORT] == VIPS_FORMAT_USHORT;
  g_type_class_unref(klass);
  return keeps;
}

std::string suffix_of_format(std::string format) {
  if (!format.empty() && format[0] == '.') format.erase(0, 1);
  return "." + format;
}

}  // namespace

struct Image::State {
  std::string name;
  std::string bytes;  // keeps a buffer-loaded image's memory alive
  VImage original;    // fully decoded, upright, with every metadata field
  Kind kind = Kind::Other;
  int colour_bands = 3;
  bool alpha = false;
  Rgb8 rgb;
};

// Floating-point RGB or grey from a format other than libvips' own (.v, which states the
// 0-255 sRGB scale): a float TIFF, PFM or Radiance HDR may hold linear light or gamma-coded
// values, on a 0-1 scale or beyond, and the file does not say which. Guessing washed photos
// out or blacked them; such a file is refused, and its 8-bit output could not keep the rest
// of the picture bit for bit anyway. Colorimetric spaces (Lab, XYZ, ...) are unambiguous.
static bool has_unstated_float_scale(const VImage& image, bool vips_format) {
  const VipsBandFormat format = image.format();
  if (!vips_band_format_isfloat(format) && !vips_band_format_iscomplex(format)) return false;
  if (vips_format) return false;
  switch (image.interpretation()) {
    case VIPS_INTERPRETATION_LAB:
    case VIPS_INTERPRETATION_LABS:
    case VIPS_INTERPRETATION_LCH:
    case VIPS_INTERPRETATION_CMC:
    case VIPS_INTERPRETATION_XYZ:
    case VIPS_INTERPRETATION_YXY:
      return false;
    default:
      return true;
  }
}

// The decompression-bomb guard: refused before any pixel is decoded.
static void check_pixel_limit(std::uint64_t width, std::uint64_t height, const std::string& name,
                              const ImageLoadOptions& options) {
  const std::uint64_t pixels = width * height;
  if (pixels > options.max_pixels)
    throw InputError(name, "image is " + std::to_string(width) + "×" + std::to_string(height) + " = " +
                               std::to_string(pixels) + " pixels, over the limit of " +
                               std::to_string(options.max_pixels) + " (--max-pixels)");
}

// libvips' WebP loader allocates the whole canvas a file declares while it reads the header
// (a 140-byte file made it take 735 MB): the size is read from the first 30 bytes and
// checked before libvips sees the file. Other formats' headers allocate nothing.
static void check_declared_size(const std::string& head, const std::string& name, const ImageLoadOptions& options) {
  if (head.size() < 30 || head.compare(0, 4, "RIFF") != 0 || head.compare(8, 4, "WEBP") != 0) return;
  auto byte = [&](int at) { return std::uint64_t(std::uint8_t(head[std::size_t(at)])); };
  const std::string chunk = head.substr(12, 4);
  if (chunk == "VP8X")  // the canvas, 24 bits each, minus one
    check_pixel_limit(1 + (byte(24) | byte(25) << 8 | byte(26) << 16), 1 + (byte(27) | byte(28) << 8 | byte(29) << 16),
                      name, options);
  else if (chunk == "VP8 ")  // lossy: 14-bit sizes after the frame tag and start code
    check_pixel_limit((byte(26) | byte(27) << 8) & 0x3fff, (byte(28) | byte(29) << 8) & 0x3fff, name, options);
  else if (chunk == "VP8L") {  // lossless: after the signature byte, 14 bits each, minus one
    const std::uint64_t bits = byte(21) | byte(22) << 8 | byte(23) << 16 | byte(24) << 24;
    check_pixel_limit(1 + (bits & 0x3fff), 1 + ((bits >> 14) & 0x3fff), name, options);
  }
}

// `vips_format`: the file is libvips' own .v format (the metadata's loader name cannot
// tell: a .v file keeps the one of the file it was made from).
static std::shared_ptr<Image::State> decode(VImage header, const std::string& name, std::string bytes,
                                            const ImageLoadOptions& options, bool vips_format = false) {
  auto state = std::make_shared<Image::State>();
  state->name = name;
  state->bytes = std::move(bytes);
  check_pixel_limit(std::uint64_t(header.width()), std::uint64_t(header.height()), name, options);
  try {
    VImage image = header;
    // PFM's signature: from a buffer ImageMagick decodes it to 8 bits by a guess of its own.
    const bool pfm = state->bytes.size() > 2 && state->bytes[0] == 'P' && (state->bytes[1] == 'F' || state->bytes[1] == 'f');
    if (image.coding() == VIPS_CODING_RAD || pfm || has_unstated_float_scale(image, vips_format))
      throw InputError(name, "has floating-point (HDR or linear-light) samples whose transfer function the file "
                             "does not state; convert it to 8- or 16-bit sRGB first");
    if (image.coding() == VIPS_CODING_LABQ) image = image.LabQ2Lab();
    // autorot applies the EXIF orientation and removes the orientation field; decoding
    // into memory here makes a truncated or corrupt file fail now, not mid-run.
    image = image.autorot().copy_memory();
    state->original = image;

    int bands = image.bands();
    if (bands > 5) {
      throw InputError(name, "has " + std::to_string(bands) +
                                 " bands; expected grey, RGB or CMYK with optional alpha");
    }
    state->alpha = is_alpha_layout(bands, image.interpretation());
    state->colour_bands = bands - (state->alpha ? 1 : 0);
    VImage colour = state->alpha ? image.extract_band(0, VImage::option()->set("n", state->colour_bands))
                                 : image;
    state->kind = classify(colour);

    Rgb8 rgb(image.width(), image.height());
    const size_t n = size_t(rgb.width) * rgb.height;
    switch (state->kind) {
      case Kind::Rgb8:
        rgb.pixels = pixels_of<std::uint8_t>(colour);
        break;
      case Kind::Grey8: {
        auto grey = pixels_of<std::uint8_t>(colour);
        for (size_t i = 0; i < n; ++i) std::fill_n(&rgb.pixels[i * 3], 3, grey[i]);
        break;
      }
      case Kind::Rgb16: {
        auto v = pixels_of<std::uint16_t>(colour);
        for (size_t i = 0; i < n * 3; ++i) rgb.pixels[i] = to8(v[i]);
        break;
      }
      case Kind::Grey16: {
        auto grey = pixels_of<std::uint16_t>(colour);
        for (size_t i = 0; i < n; ++i) std::fill_n(&rgb.pixels[i * 3], 3, to8(grey[i]));
        break;
      }
      case Kind::Cmyk: {
        // The embedded profile when there is one, else libvips' built-in CMYK profile.
        VImage srgb = colour.icc_transform("srgb", VImage::option()
                                                       ->set("embedded", true)
                                                       ->set("input_profile", "cmyk")
                                                       ->set("depth", 8));
        if (srgb.format() != VIPS_FORMAT_UCHAR) srgb = srgb.cast(VIPS_FORMAT_UCHAR);
        rgb.pixels = pixels_of<std::uint8_t>(srgb);
        break;
      }
      case Kind::Other: {
        VImage srgb = colour.colourspace(VIPS_INTERPRETATION_sRGB);
        if (srgb.bands() == 1) srgb = srgb.bandjoin({srgb, srgb});
        if (srgb.bands() > 3) srgb = srgb.extract_band(0, VImage::option()->set("n", 3));
        if (srgb.format() != VIPS_FORMAT_UCHAR) {
          if (vips_band_format_isfloat(srgb.format())) srgb = srgb.rint();
          srgb = srgb.cast(VIPS_FORMAT_UCHAR);  // clamps to 0–255
        }
        rgb.pixels = pixels_of<std::uint8_t>(srgb);
        break;
      }
    }
    if (rgb.pixels.size() != n * 3) throw InputError(name, "unexpected pixel layout after conversion");
    state->rgb = std::move(rgb);
  } catch (const VError& e) {
    throw InputError(name, vips_reason(e.what()));
  }
  return state;
}

static vips::VOption* load_options() {
  // Truncated data and decoder errors fail the load; mere warnings do not.
  return VImage::option()->set("fail_on", int(VIPS_FAIL_ON_ERROR));
}

Image Image::load(const std::string& path, const ImageLoadOptions& options) {
  ensure_vips();
  if (path == "-") return load_buffer(read_all("-"), "-", options);

  std::error_code ec;
  auto status = fs::status(path, ec);
  if (!fs::exists(status)) throw InputError(path, "no such file");
  if (fs::is_directory(status)) throw InputError(path, "is a directory");
  std::string head(30, '\0');
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw InputError(path, std::strerror(errno));
    if (fs::is_regular_file(status)) head.resize(std::size_t(probe.read(&head[0], 30).gcount()));
  }
  if (fs::is_regular_file(status) && fs::file_size(path, ec) == 0) throw InputError(path, "empty file");
  if (!fs::is_regular_file(status)) return load_buffer(read_all(path), path, options);
  check_declared_size(head, path, options);

  const char* loader = vips_foreign_find_load(path.c_str());
  if (!loader) {
    vips_error_clear();
    throw InputError(path, "not an image file (no libvips loader recognises it)");
  }
  const bool vips_format = std::string(loader) == "VipsForeignLoadVipsFile";
  VImage header;
  try {
    header = VImage::new_from_file(path.c_str(), load_options());
  } catch (const VError& e) {
    throw InputError(path, vips_reason(e.what()));
  }
  return Image(decode(header, path, {}, options, vips_format));
}

Image Image::load_buffer(std::string bytes, const std::string& name, const ImageLoadOptions& options) {
  ensure_vips();
  if (bytes.empty()) throw InputError(name, "empty input");
  if (!vips_foreign_find_load_buffer(bytes.data(), bytes.size())) {
    vips_error_clear();
    throw InputError(name, "not an image (no libvips loader recognises it)");
  }
  check_declared_size(bytes.substr(0, 30), name, options);
  VImage header;
  try {
    header = VImage::new_from_buffer(bytes.data(), bytes.size(), "", load_options());
  } catch (const VError& e) {
    throw InputError(name, vips_reason(e.what()));
  }
  // The header still points into `bytes`: decode() moves it into the state it keeps.
  return Image(decode(header, name, std::move(bytes), options));
}

int Image::width() const { return state_->rgb.width; }
int Image::height() const { return state_->rgb.height; }
const Rgb8& Image::rgb() const { return state_->rgb; }
bool Image::has_alpha() const { return state_->alpha; }
bool Image::has_icc_profile() const {
  return state_->original.get_typeof(VIPS_META_ICC_NAME) != 0;
}
bool Image::is_16bit() const { return state_->kind == Kind::Rgb16 || state_->kind == Kind::Grey16; }
std::string Image::interpretation() const {
  return vips_enum_nick(VIPS_TYPE_INTERPRETATION, state_->original.interpretation());
}
std::string Image::loader() const {
  if (state_->original.get_typeof(VIPS_META_LOADER) == 0) return "";
  return state_->original.get_string(VIPS_META_LOADER);
}
const std::string& Image::name() const { return state_->name; }

std::string image_saver_for(const std::string& path, const std::string& format) {
  ensure_vips();
  std::string probe = format.empty() ? path : "x" + suffix_of_format(format);
  const char* saver = vips_foreign_find_save(probe.c_str());
  if (!saver) {
    vips_error_clear();
    std::string what = format.empty() ? "'" + fs::path(path).extension().string() + "'" : "'" + format + "'";
    if (format.empty() && fs::path(path).extension().empty()) what = "a name without extension";
    throw UsageError("cannot write '" + path + "': libvips cannot write " + what +
                     " (name the format with an image extension such as .png)");
  }
  // find_save answers with a class name ("VipsForeignSaveJpegFile"); callers want the
  // operation's nickname ("jpegsave").
  const char* nickname = vips_nickname_find(g_type_from_name(saver));
  return nickname ? nickname : saver;
}

namespace {

// The output format of a save: an explicit one, the name's extension, or for stdout the
// input's own format (PNG where libvips cannot write that).
std::string output_suffix(const Image& image, const std::string& path, const std::string& format) {
  if (!format.empty()) return suffix_of_format(format);
  if (path != "-") return fs::path(path).extension().string();
  std::string loader = image.loader();
  auto cut = loader.find("load");
  std::string suffix = "." + (cut == std::string::npos ? std::string("png") : loader.substr(0, cut));
  if (!vips_foreign_find_save(("x" + suffix).c_str())) {
    vips_error_clear();
    return ".png";
  }
  return suffix;
}

bool is_base_field(const std::string& name) {
  static const std::set<std::string> base = {"width",  "height", "bands",   "format",
                                             "coding", "interpretation", "xoffset", "yoffset",
                                             "xres",   "yres",   "filename"};
  return base.count(name) > 0;
}

// Fields that would make the output lossy or wrong: palette hints (quantisation), page
// layout of multi-page inputs, and orientation (the pixels are upright now).
bool is_dropped_field(const std::string& name) {
  static const std::set<std::string> dropped = {"palette-bit-depth", "bits-per-sample", "palette",
                                                "page-height", "n-pages", VIPS_META_ORIENTATION,
                                                "exif-ifd0-Orientation"};
  return dropped.count(name) > 0;
}

}  // namespace

static VImage compose_output(const Image::State& s, const Rgb8& modified, const std::string& saver,
                             const ImageSaveOptions& options, std::vector<std::uint16_t>& keep16) {
  const VImage& orig = s.original;
  const size_t n = size_t(modified.width) * modified.height;
  bool out16 = (s.kind == Kind::Rgb16 || s.kind == Kind::Grey16) && saver_keeps_16bit(saver);

  VImage colour;
  if (out16) {
    VImage orig_colour = s.alpha ? orig.extract_band(0, VImage::option()->set("n", s.colour_bands)) : orig;
    auto v = pixels_of<std::uint16_t>(orig_colour);
    bool grey = s.kind == Kind::Grey16;
    keep16.resize(n * 3);
    for (size_t i = 0; i < n; ++i) {
      for (int c = 0; c < 3; ++c) {
        int original = v[grey ? i : i * 3 + c];
        int change = int(modified.pixels[i * 3 + c]) - int(s.rgb.pixels[i * 3 + c]);
        keep16[i * 3 + c] = std::uint16_t(std::clamp(original + 257 * change, 0, 65535));
      }
    }
    colour = VImage::new_from_memory(keep16.data(), keep16.size() * 2, modified.width,
                                     modified.height, 3, VIPS_FORMAT_USHORT);
  } else {
    colour = rgb8_image(modified);
  }

  VImage out = colour;
  if (s.alpha) {
    VImage alpha = orig.extract_band(s.colour_bands);
    VipsBandFormat want = out16 ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR;
    if (alpha.format() != want) {
      if (alpha.format() == VIPS_FORMAT_USHORT) alpha = (alpha / 257.0).rint();
      else if (want == VIPS_FORMAT_USHORT) alpha = alpha * 257.0;
      else if (vips_band_format_isfloat(alpha.format())) alpha = alpha.rint();
      alpha = alpha.cast(want);
    }
    out = out.bandjoin(alpha);
  }
  out = out.copy(VImage::option()
                     ->set("interpretation", int(out16 ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB))
                     ->set("xres", orig.xres())
                     ->set("yres", orig.yres()));

  // The code values of RGB inputs are unchanged, so their profile still describes them;
  // grey and CMYK profiles do not fit RGB output.
  bool keep_icc = s.kind == Kind::Rgb8 || s.kind == Kind::Rgb16;
  gchar** fields = vips_image_get_fields(orig.get_image());
  bool has_exif = false;
  for (gchar** f = fields; *f; ++f) {
    std::string name = *f;
    if (is_base_field(name) || is_dropped_field(name)) continue;
    bool icc = name == VIPS_META_ICC_NAME;
    if (icc && !keep_icc) continue;
    if (!icc && options.strip_metadata) continue;
    GValue value = G_VALUE_INIT;
    if (vips_image_get(orig.get_image(), name.c_str(), &value) == 0) {
      vips_image_set(out.get_image(), name.c_str(), &value);
      g_value_unset(&value);
    }
    has_exif = has_exif || name == VIPS_META_EXIF_NAME;
  }
  g_strfreev(fields);
  vips_error_clear();
  // The pixels are upright: an EXIF block written out must say so.
  if (has_exif) out.set(VIPS_META_ORIENTATION, 1);
  return out;
}

static vips::VOption* save_options(const std::string& saver, const ImageSaveOptions& options) {
  auto* o = VImage::option();
  auto starts = [&](const char* prefix) { return saver.rfind(prefix, 0) == 0; };
  if (starts("jpegsave") || starts("heifsave")) o->set("Q", options.jpeg_quality);
  // Lossy WebP would wash out the perturbation.
  if (starts("webpsave") || starts("jxlsave")) o->set("lossless", true);
  return o;
}

static void check_size(const Image::State& s, const Rgb8& modified) {
  if (modified.width != s.rgb.width || modified.height != s.rgb.height ||
      modified.pixels.size() != s.rgb.pixels.size()) {
    throw std::invalid_argument("Image::save: modified view is " + std::to_string(modified.width) + "x" +
                                std::to_string(modified.height) + ", the image is " +
                                std::to_string(s.rgb.width) + "x" + std::to_string(s.rgb.height));
  }
}

// The one way pictures reach files: to "-" or with an explicit format through `encode`
// (bytes in memory), otherwise `compose(saver)` written by libvips under a temporary name
// and renamed into place.
static void write_image(const std::string& path, const ImageSaveOptions& options,
                        const std::function<std::string()>& encode,
                        const std::function<VImage(const std::string&)>& compose) {
  if (path == "-" || !options.format.empty()) {
    std::string bytes;
    try {
      bytes = encode();
    } catch (const OutputError& e) {
      throw OutputError(path, std::string(e.what()).substr(std::string("cannot write '-': ").size()));
    }
    write_all(path, bytes);
    return;
  }
  std::string saver = image_saver_for(path);
  AtomicFile file(path);
  try {
    compose(saver).write_to_file(file.temp_path().c_str(), save_options(saver, options));
  } catch (const VError& e) {
    // libvips names the temporary file, which the user never sees: drop it from the reason.
    std::string reason = vips_reason(e.what());
    for (std::size_t at; (at = reason.find(file.temp_path() + ": ")) != std::string::npos;)
      reason.erase(at, file.temp_path().size() + 2);
    throw OutputError(path, reason);
  }
  file.commit();
}

std::string Image::save_buffer(const Rgb8& modified, const ImageSaveOptions& options) const {
  check_size(*state_, modified);
  std::string suffix = output_suffix(*this, "-", options.format);
  std::string saver = image_saver_for("x" + suffix);
  try {
    std::vector<std::uint16_t> keep16;
    VImage out = compose_output(*state_, modified, saver, options, keep16);
    void* buf = nullptr;
    size_t size = 0;
    out.write_to_buffer(suffix.c_str(), &buf, &size, save_options(saver, options));
    std::string bytes(static_cast<const char*>(buf), size);
    g_free(buf);
    return bytes;
  } catch (const VError& e) {
    throw OutputError("-", vips_reason(e.what()));
  }
}

void Image::save(const std::string& path, const Rgb8& modified, const ImageSaveOptions& options) const {
  check_size(*state_, modified);
  std::vector<std::uint16_t> keep16;  // pixels compose_output points libvips at
  write_image(
      path, options, [&] { return save_buffer(modified, options); },
      [&](const std::string& saver) { return compose_output(*state_, modified, saver, options, keep16); });
}

std::string encode_rgb8(const Rgb8& rgb, const ImageSaveOptions& options) {
  if (options.format.empty()) throw UsageError("encode_rgb8: no output format given");
  ensure_vips();
  std::string suffix = options.format[0] == '.' ? options.format : "." + options.format;
  std::string saver = image_saver_for("x" + suffix);
  try {
    void* buf = nullptr;
    size_t size = 0;
    rgb8_image(rgb).write_to_buffer(suffix.c_str(), &buf, &size, save_options(saver, options));
    std::string bytes(static_cast<const char*>(buf), size);
    g_free(buf);
    return bytes;
  } catch (const VError& e) {
    throw OutputError("-", vips_reason(e.what()));
  }
}

void save_rgb8(const std::string& path, const Rgb8& rgb, const ImageSaveOptions& options) {
  ensure_vips();
  ImageSaveOptions o = options;
  if (path == "-" && o.format.empty()) o.format = "png";
  write_image(
      path, o, [&] { return encode_rgb8(rgb, o); }, [&](const std::string&) { return rgb8_image(rgb); });
}

static Rgb8 rgb8_of(const VImage& image) {
  Rgb8 out(image.width(), image.height());
  std::size_t size = 0;
  void* mem = image.write_to_memory(&size);
  std::memcpy(out.data(), mem, std::min(size, out.pixels.size()));
  g_free(mem);
  return out;
}

Rgb8 crop_rgb8(const Rgb8& rgb, int left, int top, int width, int height) {
  if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > rgb.width || top + height > rgb.height)
    throw std::invalid_argument("crop_rgb8: box outside the image");
  Rgb8 out(width, height);
  for (int y = 0; y < height; ++y)
    std::memcpy(out.data() + std::size_t(y) * width * 3, rgb.data() + (std::size_t(top + y) * rgb.width + left) * 3,
                std::size_t(width) * 3);
  return out;
}

Rgb8 resize_rgb8(const Rgb8& rgb, int width, int height) {
  ensure_vips();
  if (width == rgb.width && height == rgb.height) return rgb;
  try {
    VImage in = rgb8_image(rgb);
    double hscale = double(width) / rgb.width, vscale = double(height) / rgb.height;
    VImage out = in.resize(hscale, VImage::option()->set("vscale", vscale));
    // resize may round the size by a pixel; cut or pad to exactly width × height.
    if (out.width() != width || out.height() != height)
      out = out.embed(0, 0, width, height, VImage::option()->set("extend", VIPS_EXTEND_COPY));
    return rgb8_of(out.cast(VIPS_FORMAT_UCHAR));
  } catch (const VError& e) {
    throw Error("cannot resize an image: " + vips_reason(e.what()));
  }
}

bool has_image_extension(const std::string& path) {
  static const std::set<std::string> known = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".gif",
                                              ".bmp", ".ppm", ".pgm", ".pnm", ".pfm",  ".jxl", ".heic",
                                              ".heif", ".avif", ".exr", ".hdr", ".jp2", ".v"};
  std::string ext = fs::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return known.count(ext) != 0;
}

std::string libvips_version() {
  ensure_vips();
  return vips_version_string();
}

}  // namespace idef
