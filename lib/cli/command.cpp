#include "cli/command.h"

#include <cmath>
#include <toml++/toml.h>

#include <boost/program_options.hpp>
#include <csignal>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/version.h"
#include "io/byte_stream.h"
#include "io/library_messages.h"

namespace po = boost::program_options;

namespace idef::cli {

namespace {

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Escapes text for troff.
std::string roff(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else if ((c == '.' || c == '\'') && (i == 0 || text[i - 1] == '\n')) out += "\\&" + std::string(1, c);
    else out += c;
  }
  return out;
}

std::string option_label(const OptionSpec& o) {
  std::string s = o.short_name ? std::string("-") + o.short_name + ", " : "    ";
  s += "--" + o.name;
  if (o.kind != ValueKind::Flag) s += " " + o.value_name;
  return s;
}

// Lists for shell completion: a choice's values.
std::string joined(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

std::string toml_scalar_text(const toml::node& node, const std::string& key) {
  if (auto* s = node.as_string()) return s->get();
  if (auto* i = node.as_integer()) return std::to_string(i->get());
  if (auto* f = node.as_floating_point()) return format_number(f->get());
  if (auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  throw UsageError("config key '" + key + "' must be a string, number or boolean");
}

}  // namespace

// More threads than any machine this runs on has cores; beyond it a typo (--threads 1000000)
// would make the libraries try to start that many.
constexpr int kMaxThreads = 1024;

struct Command::Impl {
  // Converters from raw text values to the bound fields.
  std::map<std::string, std::function<void(const std::vector<std::string>&)>> apply;
  std::map<std::string, std::vector<std::string>> given;
  std::vector<std::string>* positional_target = nullptr;
  std::string generate_doc;
  bool help = false, version = false;
  // Allowed values of numeric options (range()), checked after every value is applied.
  struct Bounds {
    double low, high;
    bool low_open;
    // "0 to 1", "over 0 and up to 1": the same words in the help and in the error.
    std::string text() const {
      return (low_open ? "over " : "") + format_number(low) + (low_open ? " and up to " : " to ") + format_number(high);
    }
  };
  std::map<std::string, Bounds> bounds;
  std::map<std::string, std::function<double()>> numeric_value;
  std::map<std::string, std::string> aliases;  // old spelling → option name
};

Command::Command(std::string program, std::string summary)
    : impl_(std::make_unique<Impl>()), program_(std::move(program)), summary_(std::move(summary)) {
  auto common = [this](OptionSpec s) {
    s.common = true;
    add(std::move(s));
  };
  common({"config", 0, ValueKind::File, "FILE", "read options from a TOML file (keys are the long option names; "
                                                 "a table named after the tool applies to it alone; include = "
                                                 "\"FILE\" starts from another file's keys; the command line "
                                                 "wins)"});
  impl_->apply["config"] = [this](const std::vector<std::string>& v) { common_.config = v.back(); };
  common({"quiet", 'q', ValueKind::Flag, "", "print only errors"});
  impl_->apply["quiet"] = [this](const std::vector<std::string>& v) { common_.quiet = v.empty() || v.back() != "false"; };
  common({"verbose", 0, ValueKind::Flag, "", "also print the libraries' own warnings and errors (libvips, "
                                             "FFmpeg), which are otherwise summed up in the tool's message"});
  impl_->apply["verbose"] = [this](const std::vector<std::string>& v) {
    common_.verbose = v.empty() || v.back() != "false";
  };
  common({"progress", 0, ValueKind::File, "FILE", "write machine-readable progress (key=value blocks) to FILE, "
                                                   "or to standard output with -"});
  impl_->apply["progress"] = [this](const std::vector<std::string>& v) { common_.progress = v.back(); };
  common({"threads", 0, ValueKind::Integer, "N", "CPU threads for the networks, BLAS and image work "
                                                 "(0: the libraries' defaults)", "0"});
  impl_->apply["threads"] = [this](const std::vector<std::string>& v) {
    try {
      std::size_t used = 0;
      common_.threads = std::stoi(v.back(), &used);
      if (used != v.back().size() || common_.threads < 0 || common_.threads > kMaxThreads)
        throw std::invalid_argument("");
    } catch (const std::exception&) {
      throw UsageError("--threads: '" + v.back() + "' is not a count of threads from 0 to " +
                       std::to_string(kMaxThreads));
    }
  };
  common({"device", 0, ValueKind::Choice, "DEV", "where the networks run", "cpu", {"cpu", "cuda"}});
  impl_->apply["device"] = [this](const std::vector<std::string>& v) { common_.device = v.back(); };
  common({"help", 'h', ValueKind::Flag, "", "show this help and exit"});
  impl_->apply["help"] = [this](const std::vector<std::string>&) { impl_->help = true; };
  common({"version", 0, ValueKind::Flag, "", "show the versions of the toolkit and its libraries and exit"});
  impl_->apply["version"] = [this](const std::vector<std::string>&) { impl_->version = true; };
}

Command::~Command() = default;

Command& Command::description(std::string text) {
  description_ = std::move(text);
  return *this;
}
Command& Command::example(std::string command, std::string explanation) {
  examples_.emplace_back(std::move(command), std::move(explanation));
  return *this;
}

Command& Command::environment(std::string variable, std::string explanation) {
  environment_.emplace_back(std::move(variable), std::move(explanation));
  return *this;
}
Command& Command::synopsis(std::string line) {
  synopses_.push_back(std::move(line));
  return *this;
}

void Command::add(OptionSpec spec) {
  for (const auto& s : specs_)
    if (s.name == spec.name) throw std::logic_error("option --" + spec.name + " defined twice");
  specs_.push_back(std::move(spec));
}

Command& Command::flag(const std::string& name, bool* target, const std::string& help, char short_name) {
  add({name, short_name, ValueKind::Flag, "", help});
  impl_->apply[name] = [target, name](const std::vector<std::string>& v) {
    const std::string& t = v.empty() ? std::string("true") : v.back();
    if (t == "true") *target = true;
    else if (t == "false") *target = false;
    else throw UsageError("--" + name + " takes no value");
  };
  return *this;
}

template <typename T>
static std::function<void(const std::vector<std::string>&)> numeric(const std::string& name, T* target,
                                                                     const char* what) {
  return [=](const std::vector<std::string>& v) {
    const std::string& text = v.back();
    try {
      std::size_t used = 0;
      T value;
      if constexpr (std::is_floating_point_v<T>) {
        value = static_cast<T>(std::stod(text, &used));
        if (!std::isfinite(value)) throw std::invalid_argument(text);
      } else {
        const long long wide = std::stoll(text, &used);
        value = static_cast<T>(wide);
        if (static_cast<long long>(value) != wide) throw std::out_of_range(text);  // does not fit an int
      }
      if (used != text.size()) throw std::invalid_argument(text);
      *target = value;
    } catch (const std::exception&) {
      throw UsageError("--" + name + ": '" + text + "' is not " + what);
    }
  };
}

Command& Command::option(const std::string& name, int* target, const std::string& value_name,
                         const std::string& help) {
  add({name, 0, ValueKind::Integer, value_name, help, std::to_string(*target)});
  impl_->apply[name] = numeric(name, target, "an integer");
  impl_->numeric_value[name] = [target] { return static_cast<double>(*target); };
  return *this;
}
Command& Command::option(const std::string& name, std::int64_t* target, const std::string& value_name,
                         const std::string& help) {
  add({name, 0, ValueKind::Integer, value_name, help, std::to_string(*target)});
  impl_->apply[name] = numeric(name, target, "an integer");
  impl_->numeric_value[name] = [target] { return static_cast<double>(*target); };
  return *this;
}
Command& Command::option(const std::string& name, double* target, const std::string& value_name,
                         const std::string& help) {
  add({name, 0, ValueKind::Number, value_name, help, format_number(*target)});
  impl_->apply[name] = numeric(name, target, "a finite number");
  impl_->numeric_value[name] = [target] { return *target; };
  return *this;
}

Command& Command::no_default() {
  specs_.back().default_text.clear();
  return *this;
}

Command& Command::range(double low, double high, bool low_open) {
  const std::string& name = specs_.back().name;
  if (!impl_->numeric_value.count(name)) throw std::logic_error("range() after --" + name + ", not a number");
  impl_->bounds[name] = {low, high, low_open};
  specs_.back().help += " (" + impl_->bounds[name].text() + ")";
  return *this;
}
Command& Command::option(const std::string& name, std::string* target, const std::string& value_name,
                         const std::string& help, ValueKind kind, char short_name) {
  add({name, short_name, kind, value_name, help, *target});
  impl_->apply[name] = [target](const std::vector<std::string>& v) { *target = v.back(); };
  return *this;
}
Command& Command::list(const std::string& name, std::vector<std::string>* target, const std::string& value_name,
                       const std::string& help, ValueKind kind) {
  OptionSpec spec{name, 0, kind, value_name, help, joined(*target, ",")};
  spec.multiple = true;
  add(std::move(spec));
  // Each occurrence may itself be a comma-separated list.
  impl_->apply[name] = [target](const std::vector<std::string>& v) {
    target->clear();
    for (const auto& item : v) {
      std::stringstream s(item);
      std::string part;
      while (std::getline(s, part, ','))
        if (!part.empty()) target->push_back(part);
    }
  };
  return *this;
}
Command& Command::choice(const std::string& name, std::string* target, std::vector<std::string> choices,
                         const std::string& help) {
  add({name, 0, ValueKind::Choice, "WORD", help, *target, choices});
  impl_->apply[name] = [target, name, choices](const std::vector<std::string>& v) {
    if (std::find(choices.begin(), choices.end(), v.back()) == choices.end())
      throw UsageError("--" + name + ": '" + v.back() + "' is not one of " + joined(choices, ", "));
    *target = v.back();
  };
  return *this;
}
Command& Command::positional(const std::string& name, std::vector<std::string>* target, const std::string& help,
                             bool required) {
  positionals_.push_back({name, help, true, required});
  impl_->positional_target = target;
  return *this;
}

Command& Command::alias(const std::string& old_name) {
  OptionSpec& spec = specs_.back();
  impl_->aliases[old_name] = spec.name;
  spec.help += " (formerly --" + old_name + ")";
  return *this;
}

bool Command::given(const std::string& name) const { return impl_->given.count(name) != 0; }

bool Command::parse(int argc, const char* const* argv) {
  if (!read_arguments(argc, argv)) return false;
  set_thread_count(common_.threads);
  route_library_messages(program_, common_.verbose);
  return true;
}

bool Command::read_arguments(int argc, const char* const* argv) {
  po::options_description desc;
  for (const auto& s : specs_) {
    std::string key = s.name + (s.short_name ? std::string(",") + s.short_name : "");
    if (s.kind == ValueKind::Flag)
      desc.add_options()(key.c_str(), po::value<std::vector<std::string>>()->zero_tokens()->composing());
    else
      desc.add_options()(key.c_str(), po::value<std::vector<std::string>>()->composing());
  }
  for (const auto& [old_name, new_name] : impl_->aliases) {
    const std::string& name = new_name;  // C++17 lambdas cannot capture a structured binding
    auto spec = std::find_if(specs_.begin(), specs_.end(), [&](const OptionSpec& s) { return s.name == name; });
    if (spec->kind == ValueKind::Flag)
      desc.add_options()(old_name.c_str(), po::value<std::vector<std::string>>()->zero_tokens()->composing());
    else
      desc.add_options()(old_name.c_str(), po::value<std::vector<std::string>>()->composing());
  }
  desc.add_options()("generate-doc", po::value<std::vector<std::string>>());
  desc.add_options()("positional-args", po::value<std::vector<std::string>>()->composing());
  po::positional_options_description pos;
  pos.add("positional-args", -1);

  po::parsed_options parsed(&desc);
  try {
    parsed = po::command_line_parser(argc, argv)
                 .options(desc)
                 .positional(pos)
                 .style(po::command_line_style::unix_style)
                 .run();
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  std::vector<std::string> positional_values;
  for (const auto& o : parsed.options) {
    if (o.string_key == "positional-args") {
      positional_values.insert(positional_values.end(), o.value.begin(), o.value.end());
    } else if (o.string_key == "generate-doc") {
      impl_->generate_doc = o.value.empty() ? "" : o.value.back();
    } else {
      auto& values = impl_->given[o.string_key];
      if (o.value.empty()) values.push_back("true");
      values.insert(values.end(), o.value.begin(), o.value.end());
    }
  }
  // Old spellings become their options' names, once, with a note.
  auto renamed = [&](const std::string& old_name, const std::string& where) {
    const std::string& name = impl_->aliases.at(old_name);
    std::cerr << program_ << ": " << where << old_name << " is deprecated: use " << where << name << "\n";
    return name;
  };
  for (const auto& [old_name, name] : impl_->aliases) {
    auto it = impl_->given.find(old_name);
    if (it == impl_->given.end()) continue;
    if (impl_->given.count(name)) throw UsageError("--" + old_name + " and --" + name + " are one option: give one");
    impl_->given[renamed(old_name, "--")] = it->second;
    impl_->given.erase(old_name);
  }
  for (auto& [name, values] : impl_->given) {
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs_)
      if (s.name == name) spec = &s;
    if (spec && !spec->multiple && spec->kind != ValueKind::Flag && values.size() > 1)
      throw UsageError("--" + name + " given more than once");
  }

  if (!impl_->generate_doc.empty()) {
    const std::string& kind = impl_->generate_doc;
    std::cout << (kind == "man" ? man_page() : completion(kind));
    return false;
  }
  if (impl_->given.count("help")) {
    std::cout << help_text();
    return false;
  }
  if (impl_->given.count("version")) {
    for (const auto& [lib, version] : library_versions()) std::cout << lib << ": " << version << "\n";
    return false;
  }

  // The config file fills in what the command line left unset. A file may start from another
  // (`include = "FILE"`, relative to the file naming it): the included keys are read first,
  // so the including file's own keys win.
  if (impl_->given.count("config")) {
    std::map<std::string, std::vector<std::string>> from_file;
    std::function<void(const std::string&, int)> read = [&](const std::string& path, int depth) {
      if (depth > 8) throw UsageError("--config '" + path + "': includes nest more than 8 deep (a cycle?)");
      toml::table root;
      try {
        root = toml::parse_file(path);
      } catch (const toml::parse_error& e) {
        std::ostringstream msg;
        msg << "--config: cannot read '" << path << "': " << e.description() << " (line " << e.source().begin.line
            << ")";
        throw UsageError(msg.str());
      }
      if (const toml::node* include = root.get("include")) {
        const auto* name = include->as_string();
        if (!name) throw UsageError("--config '" + path + "': include must be a file name in quotes");
        read((std::filesystem::path(path).parent_path() / name->get()).string(), depth + 1);
      }
      auto take = [&](const toml::table& table, bool tool_table) {
        for (const auto& [k, node] : table) {
          std::string key(k.str());
          if (!tool_table && key == "include") continue;
          if (impl_->aliases.count(key)) key = renamed(key, "key ");
          if (node.is_table()) {
            if (tool_table) throw UsageError("--config '" + path + "': nested table '" + key + "' in [" + program_ + "]");
            continue;  // tables of other tools
          }
          auto spec = std::find_if(specs_.begin(), specs_.end(), [&](const OptionSpec& s) { return s.name == key; });
          if (spec == specs_.end() || key == "config" || key == "help" || key == "version")
            throw UsageError("--config '" + path + "': unknown key '" + key + "' for " + program_);
          std::vector<std::string> values;
          if (auto* arr = node.as_array()) {
            // An option of one value given `key = []` reached its setter with no value at all
            // (found by fuzz_config): only lists take arrays.
            if (!spec->multiple)
              throw UsageError("--config '" + path + "': key '" + key + "' takes one value, not an array");
            for (const auto& e : *arr) values.push_back(toml_scalar_text(e, key));
          } else {
            values.push_back(toml_scalar_text(node, key));
          }
          from_file[key] = values;
        }
      };
      take(root, false);
      if (auto* own = root[program_].as_table()) take(*own, true);
    };
    const std::string config = impl_->given["config"].back();
    std::error_code ec;
    if (!std::filesystem::exists(config, ec))
      throw UsageError("--config: cannot read '" + config + "': no such file");
    if (std::filesystem::is_directory(config, ec))
      throw UsageError("--config: cannot read '" + config + "': it is a folder, not a TOML file");
    read(config, 0);
    for (auto& [key, values] : from_file)
      if (!impl_->given.count(key)) impl_->given[key] = values;
  }

  for (const auto& [name, values] : impl_->given) impl_->apply.at(name)(values);
  for (const auto& [name, b] : impl_->bounds) {
    if (!impl_->given.count(name)) continue;  // defaults are the tool's own choice
    const double v = impl_->numeric_value.at(name)();
    if (v > b.high || (b.low_open ? v <= b.low : v < b.low))
      throw UsageError("--" + name + ": " + format_number(v) + " is out of range (" + b.text() + ")");
  }

  if (impl_->positional_target) {
    *impl_->positional_target = positional_values;
    if (positional_values.empty() && positionals_.front().required)
      throw UsageError("missing " + positionals_.front().name);
  } else if (!positional_values.empty()) {
    throw UsageError("unexpected argument '" + positional_values.front() + "'");
  }
  if (common_.device == "cuda" && !torch::cuda::is_available())
    throw UsageError("--device cuda: no CUDA device is available to this LibTorch build");
  return true;
}

std::string Command::help_text() const {
  std::ostringstream out;
  std::string pos;
  for (const auto& p : positionals_) pos += " " + p.name + (p.multiple ? "..." : "");
  if (synopses_.empty()) out << "Usage: " << program_ << " [OPTION]..." << pos << "\n";
  for (std::size_t i = 0; i < synopses_.size(); ++i)
    out << (i ? "   or: " : "Usage: ") << program_ << " " << synopses_[i] << "\n";
  out << summary_ << "\n";
  if (!description_.empty()) out << "\n" << description_ << "\n";
  for (int common = 0; common < 2; ++common) {
    out << "\n" << (common ? "Common options:" : "Options:") << "\n";
    for (const auto& o : specs_) {
      if (o.common != bool(common)) continue;
      std::string label = "  " + option_label(o);
      std::string help = o.help;
      if (o.kind == ValueKind::Choice) help += " (" + joined(o.choices, ", ") + ")";
      if (!o.default_text.empty() && o.kind != ValueKind::Flag) help += " [default: " + o.default_text + "]";
      if (label.size() < 28) out << label << std::string(28 - label.size(), ' ') << help << "\n";
      else out << label << "\n" << std::string(28, ' ') << help << "\n";
    }
  }
  if (!examples_.empty()) {
    out << "\nExamples:\n";
    for (const auto& [cmd, text] : examples_) out << "  " << cmd << "\n      " << text << "\n";
  }
  out << "\nExit status: 0 success, 1 failure, 2 bad usage.\n";
  return out.str();
}

std::string Command::man_page() const {
  std::ostringstream out;
  std::string upper;
  for (char c : program_) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out << ".TH " << upper << " 1 \"\" \"initiative-defense " << toolkit_version() << "\" \"User Commands\"\n";
  out << ".SH NAME\n" << roff(program_) << " \\- " << roff(summary_) << "\n";
  out << ".SH SYNOPSIS\n";
  std::string pos;
  for (const auto& p : positionals_) pos += " " + p.name + (p.multiple ? "..." : "");
  if (synopses_.empty()) out << ".B " << roff(program_) << "\n[\\fIOPTION\\fR]..." << roff(pos) << "\n";
  for (const auto& s : synopses_) out << ".br\n.B " << roff(program_) << "\n" << roff(s) << "\n";
  out << ".SH DESCRIPTION\n" << roff(description_.empty() ? summary_ : description_) << "\n";
  for (int common = 0; common < 2; ++common) {
    out << ".SH " << (common ? "COMMON OPTIONS" : "OPTIONS") << "\n";
    for (const auto& o : specs_) {
      if (o.common != bool(common)) continue;
      out << ".TP\n";
      if (o.short_name) out << "\\fB\\-" << o.short_name << "\\fR, ";
      out << "\\fB\\-\\-" << roff(o.name) << "\\fR";
      if (o.kind != ValueKind::Flag) out << " \\fI" << roff(o.value_name) << "\\fR";
      out << "\n" << roff(o.help);
      if (o.kind == ValueKind::Choice) out << " (" << roff(joined(o.choices, ", ")) << ")";
      if (!o.default_text.empty() && o.kind != ValueKind::Flag) out << " Default: " << roff(o.default_text) << ".";
      out << "\n";
    }
  }
  if (!examples_.empty()) {
    out << ".SH EXAMPLES\n";
    for (const auto& [cmd, text] : examples_) out << ".TP\n.B " << roff(cmd) << "\n" << roff(text) << "\n";
  }
  out << ".SH ENVIRONMENT\n.TP\n.B IDEF_CACHE_DIR\n"
      << roff("Where dlib's face detector and landmark model are kept in a form that loads in milliseconds "
              "instead of about a second (written on first use; a damaged copy is rebuilt). Default: "
              "$XDG_CACHE_HOME/initiative-defense, else ~/.cache/initiative-defense; none: no cache.")
      << "\n";
  for (const auto& [variable, text] : environment_) out << ".TP\n.B " << roff(variable) << "\n" << roff(text) << "\n";
  out << ".SH EXIT STATUS\n0 on success, 1 on failure (for a batch: if any input failed), 2 on bad usage.\n";
  out << ".SH SEE ALSO\nThe README of initiative-defense; \\fB" << roff(program_) << " \\-\\-version\\fR.\n";
  return out.str();
}

std::string Command::completion(const std::string& shell) const {
  std::ostringstream out;
  std::string fn = "_" + program_;
  for (char& c : fn)
    if (c == '-') c = '_';
  if (shell == "bash") {
    out << "# bash completion for " << program_ << " (generated by " << program_ << " --generate-doc=bash)\n";
    out << fn << "() {\n  local cur prev\n  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n";
    out << "  case \"$prev\" in\n";
    for (const auto& o : specs_) {
      if (o.kind == ValueKind::Flag) continue;
      out << "    --" << o.name << ")\n";
      if (o.kind == ValueKind::Choice)
        out << "      COMPREPLY=($(compgen -W \"" << joined(o.choices, " ") << "\" -- \"$cur\")); return;;\n";
      else if (o.kind == ValueKind::Directory) out << "      COMPREPLY=($(compgen -d -- \"$cur\")); return;;\n";
      else if (o.kind == ValueKind::File) out << "      COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n";
      else out << "      return;;\n";
    }
    out << "  esac\n  if [[ \"$cur\" == -* ]]; then\n    COMPREPLY=($(compgen -W \"";
    std::string words;
    for (const auto& o : specs_) words += (words.empty() ? "" : " ") + std::string("--") + o.name;
    out << words << "\" -- \"$cur\"))\n  else\n    COMPREPLY=($(compgen -f -- \"$cur\"))\n  fi\n}\n";
    out << "complete -o filenames -F " << fn << " " << program_ << "\n";
  } else if (shell == "zsh") {
    out << "#compdef " << program_ << "\n# zsh completion (generated by " << program_ << " --generate-doc=zsh)\n";
    out << "_arguments -s \\\n";
    for (const auto& o : specs_) {
      std::string help = o.help;
      for (char& c : help)
        if (c == '[' || c == ']' || c == ':' || c == '\'') c = ' ';
      std::string action;
      if (o.kind == ValueKind::Choice) action = ":" + o.value_name + ":(" + joined(o.choices, " ") + ")";
      else if (o.kind == ValueKind::File) action = ":" + o.value_name + ":_files";
      else if (o.kind == ValueKind::Directory) action = ":" + o.value_name + ":_files -/";
      else if (o.kind != ValueKind::Flag) action = ":" + o.value_name + ": ";
      std::string repeat = o.multiple ? "*" : "";
      if (o.short_name)
        out << "  '" << repeat << "(-" << o.short_name << " --" << o.name << ")'{-" << o.short_name << ",--" << o.name
            << "}'[" << help << "]" << action << "' \\\n";
      else
        out << "  '" << repeat << "--" << o.name << "[" << help << "]" << action << "' \\\n";
    }
    out << "  '*:file:_files'\n";
  } else if (shell == "fish") {
    out << "# fish completion for " << program_ << " (generated by " << program_ << " --generate-doc=fish)\n";
    for (const auto& o : specs_) {
      std::string help = o.help;
      for (char& c : help)
        if (c == '\'') c = ' ';
      out << "complete -c " << program_;
      if (o.short_name) out << " -s " << o.short_name;
      out << " -l " << o.name;
      if (o.kind == ValueKind::Choice) out << " -x -a '" << joined(o.choices, " ") << "'";
      else if (o.kind == ValueKind::File) out << " -r -F";
      else if (o.kind == ValueKind::Directory) out << " -x -a '(__fish_complete_directories)'";
      else if (o.kind != ValueKind::Flag) out << " -x";
      out << " -d '" << help << "'\n";
    }
  } else {
    throw UsageError("--generate-doc: '" + shell + "' is not one of man, bash, zsh, fish");
  }
  return out.str();
}

int run_tool(const std::string& program, const std::function<int()>& body) {
  // A reader that closes our stdout early must not kill us mid-write: writes then fail
  // with EPIPE, which the stream writers turn into a BrokenPipe: a message and exit 1.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return body();
  } catch (const BrokenPipe& e) {
    // The reader (head, a player closed, an ffmpeg that failed) took no more: what it got
    // is incomplete, which a pipeline's user must be told.
    std::cerr << program << ": cannot write " << (e.output() == "-" || e.output() == "<stdout>" ? "to standard output" : "'" + e.output() + "'")
              << ": its reader closed the pipe; the output is incomplete\n";
    return 1;
  } catch (const UsageError& e) {
    std::cerr << program << ": " << e.what() << "\nTry '" << program << " --help' for more information.\n";
    return 2;
  } catch (const c10::Error& e) {
    std::cerr << program << ": " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace idef::cli
