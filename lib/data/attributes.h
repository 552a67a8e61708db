// CelebA's attribute and partition lists, and the domain labels StarGAN trains on.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace idef {

// list_attr_celeba.txt: a count, the attribute names, then "file v1 v2 ..." with ±1.
struct AttributeList {
  std::vector<std::string> names;
  std::vector<std::string> files;
  std::vector<std::vector<std::int8_t>> values;  // values[row][attribute], ±1
  int index_of(const std::string& name) const;   // -1 when absent
};

// Reads the list; a malformed line is an InputError naming the file and line number.
AttributeList read_attribute_list(const std::string& path);

// list_eval_partition.txt: "file 0|1|2" (train, validation, test).
std::map<std::string, int> read_partition(const std::string& path);

// Hair colours are one-hot among themselves in StarGAN's domain labels.
const std::vector<std::string>& hair_colour_attributes();  // Black, Blond, Brown, Gray
bool is_hair_colour(const std::string& attribute);

// The target domains of StarGAN for each image: one per selected attribute j — a hair
// colour is *set* (the other hair colours cleared), any other attribute is *flipped*.
// `labels` holds 0/1 per selected attribute; the result is [domain][image][attribute].
std::vector<std::vector<std::vector<float>>> target_domains(const std::vector<std::vector<float>>& labels,
                                                            const std::vector<std::string>& attributes);

}  // namespace idef
