#include "model/pytorch_checkpoint.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#include <caffe2/serialize/inline_container.h>

#include "core/error.h"

namespace idef {

namespace {

// Why a read failed; read_pytorch_state_dict turns it into an InputError naming the file.
struct Bad : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The values a torch.save pickle is built from. Dicts and lists are shared (the memo and the
// stack hold the same object, and SETITEMS fills it in place).
struct Value;
using Ref = std::shared_ptr<Value>;
struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Tensor, Opaque } kind = Kind::None;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;                         // String; Global: "module.name"; Opaque: what made it
  std::vector<Ref> items;                   // Tuple, List
  std::vector<std::pair<Ref, Ref>> entries;  // Dict
  torch::Tensor tensor;                     // Tensor, and a storage (1-D) from a persistent id
};

Ref make(Value::Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}
Ref make_string(std::string s) {
  Ref v = make(Value::Kind::String);
  v->text = std::move(s);
  return v;
}
Ref make_int(std::int64_t i) {
  Ref v = make(Value::Kind::Int);
  v->integer = i;
  return v;
}

torch::ScalarType storage_dtype(const std::string& global) {
  static const std::map<std::string, torch::ScalarType> types{
      {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
      {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool}};
  auto it = types.find(global);
  if (it == types.end()) throw Bad("holds a storage of a type this importer cannot read (" + global + ")");
  return it->second;
}

std::vector<std::int64_t> int_tuple(const Ref& v, const char* what) {
  if (v->kind != Value::Kind::Tuple) throw Bad(std::string("a tensor's ") + what + " is not a tuple");
  std::vector<std::int64_t> out;
  for (const Ref& i : v->items) {
    if (i->kind != Value::Kind::Int) throw Bad(std::string("a tensor's ") + what + " holds a non-integer");
    out.push_back(i->integer);
  }
  return out;
}

// A stack machine for the subset of the pickle protocol that torch.save writes (protocol 2,
// and the protocol-4 opcodes that newer Pythons may add).
class Unpickler {
 public:
  Unpickler(const std::string& bytes, caffe2::serialize::PyTorchStreamReader& archive)
      : bytes_(bytes), archive_(archive) {}

  Ref run() {
    for (;;) {
      const std::size_t at = pos_;
      const auto op = static_cast<unsigned char>(take(1)[0]);
      switch (op) {
        case 0x80: take(1); break;                                    // PROTO
        case 0x95: take(8); break;                                    // FRAME
        case '.': return pop();                                       // STOP
        case '(': marks_.push_back(stack_.size()); break;             // MARK
        case 'N': push(make(Value::Kind::None)); break;
        case 0x88: case 0x89: {                                       // NEWTRUE, NEWFALSE
          Ref v = make(Value::Kind::Bool);
          v->boolean = op == 0x88;
          push(v);
          break;
        }
        case 'J': push(make_int(static_cast<std::int32_t>(unsigned_le(4)))); break;  // BININT
        case 'K': push(make_int(static_cast<std::int64_t>(unsigned_le(1)))); break;  // BININT1
        case 'M': push(make_int(static_cast<std::int64_t>(unsigned_le(2)))); break;  // BININT2
        case 0x8a: push(make_int(long_bytes(unsigned_le(1)))); break;               // LONG1
        case 0x8b: push(make_int(long_bytes(unsigned_le(4)))); break;               // LONG4
        case 'G': {                                                   // BINFLOAT (big-endian)
          const std::string b = take(8);
          std::uint64_t bits = 0;
          for (char c : b) bits = (bits << 8) | static_cast<unsigned char>(c);
          Ref v = make(Value::Kind::Float);
          std::memcpy(&v->real, &bits, sizeof bits);
          push(v);
          break;
        }
        case 'X': case 'T': case 'B': push(make_string(take(unsigned_le(4)))); break;
        case 0x8c: case 'U': case 'C': push(make_string(take(unsigned_le(1)))); break;
        case 0x8d: case 0x8e: push(make_string(take(unsigned_le(8)))); break;
        case '}': push(make(Value::Kind::Dict)); break;
        case ']': push(make(Value::Kind::List)); break;
        case ')': push(make(Value::Kind::Tuple)); break;
        case 't': case 'l': {                                         // TUPLE, LIST
          Ref v = make(op == 't' ? Value::Kind::Tuple : Value::Kind::List);
          v->items = pop_to_mark();
          push(v);
          break;
        }
        case 0x85: case 0x86: case 0x87: {                            // TUPLE1..3
          Ref v = make(Value::Kind::Tuple);
          v->items.resize(op - 0x84);
          for (std::size_t i = v->items.size(); i-- > 0;) v->items[i] = pop();
          push(v);
          break;
        }
        case 'd': {                                                   // DICT
          Ref v = make(Value::Kind::Dict);
          set_items(v, pop_to_mark());
          push(v);
          break;
        }
        case 's': {                                                   // SETITEM
          Ref value = pop(), key = pop();
          set_items(top(), {key, value});
          break;
        }
        case 'u': {                                                   // SETITEMS
          std::vector<Ref> kv = pop_to_mark();
          set_items(top(), kv);
          break;
        }
        case 'a': {                                                   // APPEND
          Ref v = pop();
          append(top(), {v});
          break;
        }
        case 'e': {                                                   // APPENDS
          std::vector<Ref> vs = pop_to_mark();
          append(top(), vs);
          break;
        }
        case 'q': memo_[unsigned_le(1)] = top(); break;               // BINPUT
        case 'r': memo_[unsigned_le(4)] = top(); break;               // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(); break;                // MEMOIZE
        case 'h': push(memo(unsigned_le(1))); break;                  // BINGET
        case 'j': push(memo(unsigned_le(4))); break;                  // LONG_BINGET
        case 'c': {                                                   // GLOBAL
          std::string module = line();
          push_global(module + "." + line());
          break;
        }
        case 0x93: {                                                  // STACK_GLOBAL
          Ref name = pop(), module = pop();
          if (name->kind != Value::Kind::String || module->kind != Value::Kind::String)
            throw Bad("damaged pickle: STACK_GLOBAL of non-strings");
          push_global(module->text + "." + name->text);
          break;
        }
        case 'Q': push(storage(pop())); break;                        // BINPERSID
        case 'R': case 0x81: {                                        // REDUCE, NEWOBJ
          Ref args = pop(), callable = pop();
          push(reduce(callable, args));
          break;
        }
        case 'b': pop(); break;  // BUILD: a state dict's _metadata (version numbers) is not needed
        default:
          throw Bad("damaged pickle or an object this importer cannot read (opcode 0x" + hex(op) + " at byte " +
                    std::to_string(at) + " of data.pkl)");
      }
    }
  }

 private:
  static std::string hex(unsigned v) {
    const char* digits = "0123456789abcdef";
    return std::string{digits[(v >> 4) & 15], digits[v & 15]};
  }
  std::string take(std::size_t n) {
    if (n > bytes_.size() - pos_) throw Bad("damaged pickle: data.pkl ends early");
    std::string s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::uint64_t unsigned_le(int n) {
    const std::string b = take(n);
    std::uint64_t v = 0;
    for (int i = n; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(b[i]);
    return v;
  }
  std::int64_t long_bytes(std::uint64_t n) {  // little-endian two's complement
    if (n > 8) throw Bad("holds an integer wider than 64 bits");
    if (n == 0) return 0;
    const std::string b = take(n);
    std::uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(b[i]);
    if (n < 8 && (static_cast<unsigned char>(b[n - 1]) & 0x80)) v |= ~std::uint64_t{0} << (8 * n);
    return static_cast<std::int64_t>(v);
  }
  std::string line() {
    const std::size_t end = bytes_.find('\n', pos_);
    if (end == std::string::npos) throw Bad("damaged pickle: data.pkl ends early");
    std::string s = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  void push(Ref v) { stack_.push_back(std::move(v)); }
  Ref pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
      throw Bad("damaged pickle: stack underflow");
    Ref v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Ref top() {
    if (stack_.empty()) throw Bad("damaged pickle: stack underflow");
    return stack_.back();
  }
  std::vector<Ref> pop_to_mark() {
    if (marks_.empty()) throw Bad("damaged pickle: no mark");
    std::vector<Ref> out(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return out;
  }
  Ref memo(std::uint64_t i) {
    auto it = memo_.find(i);
    if (it == memo_.end()) throw Bad("damaged pickle: unknown memo entry");
    return it->second;
  }
  static void set_items(const Ref& dict, const std::vector<Ref>& kv) {
    if (dict->kind != Value::Kind::Dict || kv.size() % 2) throw Bad("damaged pickle: SETITEMS on a non-dict");
    for (std::size_t i = 0; i < kv.size(); i += 2) dict->entries.emplace_back(kv[i], kv[i + 1]);
  }
  static void append(const Ref& list, const std::vector<Ref>& vs) {
    if (list->kind != Value::Kind::List) throw Bad("damaged pickle: APPEND on a non-list");
    list->items.insert(list->items.end(), vs.begin(), vs.end());
  }
  void push_global(std::string name) {
    Ref v = make(Value::Kind::Global);
    v->text = std::move(name);
    push(v);
  }

  // ('storage', torch.FloatStorage, key, location, numel) -> the storage's bytes as a 1-D
  // tensor of its dtype, read once per key from the archive's data/<key>.
  Ref storage(const Ref& pid) {
    if (pid->kind != Value::Kind::Tuple || pid->items.size() < 5 || pid->items[0]->text != "storage" ||
        pid->items[1]->kind != Value::Kind::Global || pid->items[2]->kind != Value::Kind::String ||
        pid->items[4]->kind != Value::Kind::Int)
      throw Bad("holds an object stored outside the pickle that is not a tensor storage");
    const torch::ScalarType dtype = storage_dtype(pid->items[1]->text);
    const std::string& key = pid->items[2]->text;
    const std::int64_t numel = pid->items[4]->integer;
    auto it = storages_.find(key);
    if (it == storages_.end()) {
      const std::string record = "data/" + key;
      if (!archive_.hasRecord(record)) throw Bad("misses the tensor data " + record);
      auto [data, size] = archive_.getRecord(record);
      const auto element = static_cast<std::size_t>(c10::elementSize(dtype));
      if (numel < 0 || size != static_cast<std::size_t>(numel) * element)
        throw Bad("tensor data " + record + " holds " + std::to_string(size) + " bytes, not the " +
                  std::to_string(numel) + " values its header says");
      torch::Tensor t = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
      if (size) std::memcpy(t.data_ptr(), data.get(), size);
      it = storages_.emplace(key, t).first;
    }
    Ref v = make(Value::Kind::Tensor);
    v->tensor = it->second;
    v->text = "storage";
    return v;
  }

  Ref reduce(const Ref& callable, const Ref& args) {
    const std::string name = callable->kind == Value::Kind::Global ? callable->text : "";
    if (name == "collections.OrderedDict") return make(Value::Kind::Dict);
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor")
      return rebuild_tensor(args);
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (args->kind != Value::Kind::Tuple || args->items.empty() || args->items[0]->kind != Value::Kind::Tensor)
        throw Bad("damaged pickle: a parameter without its tensor");
      return args->items[0];
    }
    if (name.rfind("torch._utils.", 0) == 0)
      throw Bad("holds a tensor of a kind this importer cannot read (" + name + ")");
    Ref v = make(Value::Kind::Opaque);  // an object nobody asked for yet, e.g. an optimizer's state
    v->text = name.empty() ? "an object" : name;
    return v;
  }

  Ref rebuild_tensor(const Ref& args) {
    if (args->kind != Value::Kind::Tuple || args->items.size() < 4 || args->items[0]->kind != Value::Kind::Tensor ||
        args->items[1]->kind != Value::Kind::Int)
      throw Bad("damaged pickle: a tensor without its storage");
    const torch::Tensor& flat = args->items[0]->tensor;
    const std::int64_t offset = args->items[1]->integer;
    const std::vector<std::int64_t> size = int_tuple(args->items[2], "size");
    const std::vector<std::int64_t> stride = int_tuple(args->items[3], "stride");
    if (size.size() != stride.size()) throw Bad("damaged pickle: a tensor's size and stride differ in length");
    std::int64_t last = offset, count = 1;
    for (std::size_t i = 0; i < size.size(); ++i) {
      if (size[i] < 0 || stride[i] < 0) throw Bad("damaged pickle: a negative tensor size or stride");
      count *= size[i];
      if (size[i] > 0) last += (size[i] - 1) * stride[i];
    }
    if (offset < 0 || (count > 0 && last >= flat.numel()))
      throw Bad("a tensor reaches past the end of its storage");
    Ref v = make(Value::Kind::Tensor);
    v->tensor = count == 0 ? torch::empty(size, flat.options()) : flat.as_strided(size, stride, offset).clone();
    return v;
  }

  const std::string& bytes_;
  caffe2::serialize::PyTorchStreamReader& archive_;
  std::size_t pos_ = 0;
  std::vector<Ref> stack_;
  std::vector<std::size_t> marks_;
  std::map<std::uint64_t, Ref> memo_;
  std::map<std::string, torch::Tensor> storages_;
};

bool is_state_dict(const Ref& v) {
  if (v->kind != Value::Kind::Dict || v->entries.empty()) return false;
  for (const auto& [k, t] : v->entries)
    if (k->kind != Value::Kind::String || t->kind != Value::Kind::Tensor || t->text == "storage") return false;
  return true;
}

std::string key_text(const Ref& k) {
  if (k->kind == Value::Kind::String) return k->text;
  if (k->kind == Value::Kind::Int) return std::to_string(k->integer);
  return "?";
}

// The state dict the caller asked for, or why there is none.
Ref choose_state_dict(const Ref& root, const std::string& key) {
  if (root->kind != Value::Kind::Dict) throw Bad("holds no state dict (torch.save of a dict of tensors)");
  if (is_state_dict(root)) {
    if (!key.empty())
      throw Bad("is a state dict itself, with no entry '" + key + "' holding one (leave the key out)");
    return root;
  }
  std::vector<std::pair<std::string, Ref>> candidates;
  std::string all;
  for (const auto& [k, v] : root->entries) {
    all += (all.empty() ? "" : ", ") + key_text(k);
    if (is_state_dict(v)) candidates.emplace_back(key_text(k), v);
  }
  std::string names;
  for (const auto& c : candidates) names += (names.empty() ? "" : ", ") + c.first;
  if (!key.empty()) {
    for (const auto& c : candidates)
      if (c.first == key) return c.second;
    throw Bad("has no state dict under the key '" + key + "' (its keys: " + all +
              (names.empty() ? "; none holds a state dict)" : "; state dicts under: " + names + ")"));
  }
  if (candidates.empty()) throw Bad("holds no state dict (its keys: " + all + ")");
  if (candidates.size() > 1) throw Bad("holds several state dicts (" + names + "): choose one with its key");
  return candidates.front().second;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

NamedTensors read_pytorch_state_dict(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, std::strerror(errno));
  std::string head(4, '\0');
  in.read(head.data(), 4);
  head.resize(static_cast<std::size_t>(in.gcount()));
  in.close();
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x80 && static_cast<unsigned char>(head[1]) <= 5)
    throw InputError(path,
                     "saved in PyTorch's legacy format (before 1.6), which this importer does not read; re-save it "
                     "with PyTorch 1.6 or later: python3 -c \"import torch; torch.save(torch.load('" + path +
                         "', map_location='cpu'), 'resaved.pth')\"");
  if (head != std::string("PK\x03\x04", 4))
    throw InputError(path, "not a PyTorch checkpoint (the zip archive that torch.save writes)");
  try {
    caffe2::serialize::PyTorchStreamReader archive(path);
    if (archive.hasRecord("byteorder")) {
      auto [data, size] = archive.getRecord("byteorder");
      if (std::string(static_cast<const char*>(data.get()), size) != "little")
        throw Bad("stores its tensors big-endian, which this importer does not read");
    }
    if (!archive.hasRecord("data.pkl")) throw Bad("is a zip archive without data.pkl: not a torch.save checkpoint");
    auto [data, size] = archive.getRecord("data.pkl");
    const std::string pickle(static_cast<const char*>(data.get()), size);
    Unpickler unpickler(pickle, archive);
    Ref dict = choose_state_dict(unpickler.run(), key);
    NamedTensors out;
    bool all_module = true;
    for (const auto& [k, t] : dict->entries) {
      out.emplace_back(k->text, t->tensor);
      all_module = all_module && k->text.rfind("module.", 0) == 0;
    }
    if (all_module)
      for (auto& [name, t] : out) name.erase(0, 7);
    return out;
  } catch (const Bad& e) {
    throw InputError(path, e.what());
  } catch (const c10::Error& e) {
    throw InputError(path, "damaged or truncated checkpoint (" + first_line(e.what_without_backtrace()) + ")");
  }
}

}  // namespace idef
