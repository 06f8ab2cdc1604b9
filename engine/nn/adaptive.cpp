#include "engine/nn/adaptive.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/nn/init.h"

namespace aafgan::nn {

namespace {

using kernels::act_param_count;
using kernels::act_param_name;

struct Normal {
  double mean = 0, std = 0;
};

std::string label(Act act, Range range) {
  std::string s = kernels::act_name(act);
  if (kernels::act_uses_range(act)) s += std::string(" (") + kernels::range_name(range) + ")";
  return s;
}

// activations.md's default table, as the activation table's rows give it per placement.
Normal default_init(Act act, Range range, int k) {
  const kernels::ActInit i = kernels::act_default_init(act, range, k);
  return {i.mean, i.std};
}

// The keys that may hold a per-parameter spec, most specific first.
std::vector<const char*> spec_keys(const char* param) {
  if (!std::strcmp(param, "lambda")) return {"l", "lambda"};
  if (!std::strcmp(param, "tau")) return {"t", "tau"};
  if (!std::strcmp(param, "tau1")) return {"t1", "tau1", "t", "tau"};
  if (!std::strcmp(param, "tau2")) return {"t2", "tau2", "t", "tau"};
  if (!std::strcmp(param, "beta")) return {"b", "beta"};
  return {param};  // a parameter of a newer row: its own name
}

// Every key an initialiser object may hold: the spec keys of every parameter of the table.
bool known_init_key(const std::string& key) {
  if (key == "name" || key == "mean" || key == "std") return true;
  for (Act a : kernels::kAllActs)
    for (int k = 0; k < act_param_count(a); ++k)
      for (const char* s : spec_keys(act_param_name(a, k)))
        if (key == s) return true;
  return false;
}

double number(const nlohmann::json& j, const char* key, const std::string& ctx) {
  AAFGAN_CHECK(j.contains(key), "{}: missing \"{}\"", ctx, key);
  AAFGAN_CHECK(j[key].is_number(), "{}: \"{}\" must be a number, got {}", ctx, key, j[key].dump());
  return j[key].get<double>();
}

Normal read_normal(const nlohmann::json& j, const std::string& ctx) {
  AAFGAN_CHECK(j.is_object(), "{}: expected {{\"mean\": m, \"std\": s}}, got {}", ctx, j.dump());
  Normal n{number(j, "mean", ctx), number(j, "std", ctx)};
  AAFGAN_CHECK(std::isfinite(n.mean) && std::isfinite(n.std) && n.std >= 0, "{}: invalid normal({}, {})", ctx,
               n.mean, n.std);
  return n;
}

void fill_normal(Tensor& t, const Normal& n, Generator& gen) {
  if (n.std == 0) {
    t.fill_(n.mean);  // a constant (DSILU's default): no draws
  } else {
    init::normal(t, n.mean, n.std, gen);
  }
}

void xavier(Tensor& t, Generator& gen) {
  if (t.ndim() >= 2) {
    init::xavier_normal(t, gen);
    return;
  }
  // PyTorch defines no fans below 2 dimensions; a vector of n features counts as n in, n out.
  const double n = static_cast<double>(std::max<int64_t>(t.numel(), 1));
  init::normal(t, 0.0, std::sqrt(1.0 / n), gen);
}

}  // namespace

AdaptiveActivation::AdaptiveActivation(Act act, Range range, const Shape& param_shape, const nlohmann::json& init,
                                       Generator& gen, DType dtype)
    : act_(act), range_(range) {
  const std::string ctx = "AdaptiveActivation " + label(act, range) + " initialiser " + init.dump();
  AAFGAN_CHECK(init.is_null() || init.is_object(), "{}: expected an object such as {{\"name\": \"default\"}}", ctx);
  std::string name = "default";
  if (init.is_object() && !init.empty()) {
    AAFGAN_CHECK(init.contains("name") && init["name"].is_string(), "{}: missing \"name\"", ctx);
    name = init["name"].get<std::string>();
    for (const auto& item : init.items()) {
      const std::string& key = item.key();
      AAFGAN_CHECK(known_init_key(key) || key.rfind('_', 0) == 0, "{}: unknown key \"{}\"", ctx, key);
    }
  }
  AAFGAN_CHECK(name == "default" || name == "normal" || name == "xavier_normal",
               "{}: unknown initialiser \"{}\": valid names are default, normal, xavier_normal", ctx, name);
  const bool has_top = init.is_object() && (init.contains("mean") || init.contains("std"));
  AAFGAN_CHECK(!has_top || name == "normal", "{}: \"mean\"/\"std\" only apply to \"normal\"", ctx);
  const Normal top = has_top ? read_normal(init, ctx) : Normal{};

  for (int k = 0; k < act_param_count(act); ++k) {
    const char* pname = act_param_name(act, k);
    Tensor p = Tensor::empty(param_shape, dtype);
    if (name == "xavier_normal") {
      xavier(p, gen);
    } else {
      Normal n = default_init(act, range, k);
      if (name == "normal") {
        bool found = false;
        for (const char* key : spec_keys(pname)) {
          if (init.contains(key)) {
            n = read_normal(init[key], ctx + " \"" + key + "\"");
            found = true;
            break;
          }
        }
        if (!found && has_top) n = top;
      }
      fill_normal(p, n, gen);
    }
    params_.push_back(register_parameter(pname, p));
  }
}

Tensor AdaptiveActivation::forward(const Tensor& x) { return adaptive_activation(act_, range_, x, params_); }

void AdaptiveActivation::freeze() {
  for (Tensor& p : params_) {
    p.zero_grad();
    p.set_requires_grad(false);
  }
  frozen_ = true;
}

std::vector<ParamStats> AdaptiveActivation::stats() const {
  std::vector<ParamStats> out;
  for (size_t k = 0; k < params_.size(); ++k) {
    const std::vector<double> v = params_[k].to_vector();
    ParamStats s;
    s.name = act_param_name(act_, static_cast<int>(k));
    if (!v.empty()) {
      double sum = 0;
      for (double e : v) sum += e;
      s.mean = sum / static_cast<double>(v.size());
      s.max = *std::max_element(v.begin(), v.end());
      s.min = *std::min_element(v.begin(), v.end());
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace aafgan::nn
