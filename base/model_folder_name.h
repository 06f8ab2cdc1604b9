#pragma once
// The reference layout's model folder name (gan-protocol.md §5), written by the apps
// (experiment/experiment.h's run_dir_name) and read back by the report (report/run_folder.h):
//   output[_D<dis_hidden>][_G<gen_hidden>][_Dis_<dis>][_Gen_<gen>]
// a part present only when not "default". Both sides use this one rule, so a folder the apps
// write is always one the report recognises. Header-only and plain C++: the report links no
// engine code.
#include <optional>
#include <string>

namespace aafgan {

// The four activation choices a model folder's name encodes ("default" when absent).
struct ModelFolderParts {
  std::string dis_hidden = "default", gen_hidden = "default", dis = "default", gen = "default";
  bool operator==(const ModelFolderParts& o) const {
    return dis_hidden == o.dis_hidden && gen_hidden == o.gen_hidden && dis == o.dis && gen == o.gen;
  }
  bool operator!=(const ModelFolderParts& o) const { return !(*this == o); }
};

namespace model_folder_detail {

// The parts in the order they appear in a name.
struct Tag {
  const char* prefix;
  std::string ModelFolderParts::*field;
};
inline constexpr Tag kTags[] = {{"_D", &ModelFolderParts::dis_hidden},
                                {"_G", &ModelFolderParts::gen_hidden},
                                {"_Dis_", &ModelFolderParts::dis},
                                {"_Gen_", &ModelFolderParts::gen}};
inline constexpr int kTagCount = 4;

}  // namespace model_folder_detail

inline std::string model_folder_name(const ModelFolderParts& m) {
  std::string s = "output";
  for (const auto& tag : model_folder_detail::kTags)
    if (m.*(tag.field) != "default") s += tag.prefix + m.*(tag.field);
  return s;
}

// nullopt when `name` is not a model folder name (`output`, `output_DMiDA_GMish`,
// `output_Gen_BHSA`, …): the parts come in the order above, each at most once, and their values
// hold no '_'.
inline std::optional<ModelFolderParts> parse_model_folder(const std::string& name) {
  using model_folder_detail::kTagCount;
  using model_folder_detail::kTags;
  if (name.compare(0, 6, "output") != 0) return std::nullopt;
  ModelFolderParts p;
  std::string rest = name.substr(6);
  int stage = 0;
  while (!rest.empty()) {
    int matched = -1;
    for (int t = kTagCount - 1; t >= 0; --t)  // longest prefixes first: "_Dis_" before "_D"
      if (rest.compare(0, std::string(kTags[t].prefix).size(), kTags[t].prefix) == 0) {
        matched = t;
        break;
      }
    if (matched < stage) return std::nullopt;
    const size_t len = std::string(kTags[matched].prefix).size();
    const size_t end = rest.find('_', len);
    const std::string value = rest.substr(len, end == std::string::npos ? std::string::npos : end - len);
    if (value.empty()) return std::nullopt;
    p.*(kTags[matched].field) = value;
    rest = end == std::string::npos ? "" : rest.substr(end);
    stage = matched + 1;
  }
  return p;
}

}  // namespace aafgan
