#include "data/attributes.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace idef {

int AttributeList::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

AttributeList read_attribute_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot open the attribute list");
  auto at_line = [&](int line, const std::string& why) { return InputError(path, "line " + std::to_string(line) + ": " + why); };
  std::string line;
  AttributeList list;
  if (!std::getline(in, line)) throw InputError(path, "empty attribute list");
  long long declared = 0;
  try {
    std::size_t used = 0;
    declared = std::stoll(line, &used);
    if (line.find_first_not_of(" \t\r", used) != std::string::npos || declared < 0) throw std::invalid_argument(line);
  } catch (const std::exception&) {
    throw at_line(1, "expected the number of images, got '" + line.substr(0, 40) + "'");
  }
  if (!std::getline(in, line)) throw at_line(2, "missing the attribute names");
  {
    std::istringstream names(line);
    std::string name;
    while (names >> name) list.names.push_back(name);
    if (list.names.empty()) throw at_line(2, "missing the attribute names");
  }
  int number = 2;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string file, value;
    fields >> file;
    std::vector<std::int8_t> row;
    while (fields >> value) {
      if (value == "1") row.push_back(1);
      else if (value == "-1" || value == "0") row.push_back(-1);
      else throw at_line(number, "'" + value + "' is not 1 or -1");
    }
    if (row.size() != list.names.size())
      throw at_line(number, "expected " + std::to_string(list.names.size()) + " values after the file name, got " +
                                std::to_string(row.size()));
    list.files.push_back(file);
    list.values.push_back(std::move(row));
  }
  if (static_cast<long long>(list.files.size()) != declared)
    throw InputError(path, "declares " + std::to_string(declared) + " images but lists " +
                               std::to_string(list.files.size()) + " (truncated?)");
  return list;
}

std::map<std::string, int> read_partition(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot open the partition list");
  std::map<std::string, int> split;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string file, rest;
    int part = -1;
    if (!(fields >> file >> part) || part < 0 || part > 2 || (fields >> rest))
      throw InputError(path, "line " + std::to_string(number) + ": expected 'file 0|1|2'");
    split[file] = part;
  }
  return split;
}

const std::vector<std::string>& hair_colour_attributes() {
  static const std::vector<std::string> names = {"Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair"};
  return names;
}

bool is_hair_colour(const std::string& attribute) {
  const auto& hair = hair_colour_attributes();
  return std::find(hair.begin(), hair.end(), attribute) != hair.end();
}

std::vector<std::vector<std::vector<float>>> target_domains(const std::vector<std::vector<float>>& labels,
                                                            const std::vector<std::string>& attributes) {
  std::vector<std::vector<std::vector<float>>> domains;
  for (std::size_t j = 0; j < attributes.size(); ++j) {
    std::vector<std::vector<float>> domain = labels;
    for (auto& row : domain) {
      if (is_hair_colour(attributes[j])) {
        for (std::size_t k = 0; k < attributes.size(); ++k)
          if (is_hair_colour(attributes[k])) row[k] = k == j ? 1.f : 0.f;
      } else {
        row[j] = row[j] > 0.5f ? 0.f : 1.f;
      }
    }
    domains.push_back(std::move(domain));
  }
  return domains;
}

}  // namespace idef
