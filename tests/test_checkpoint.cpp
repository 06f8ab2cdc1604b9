// Checkpoint files: exact round trips, atomic replacement, and a readable Error for every
// kind of damage (truncation, any flipped byte, foreign files, unknown versions).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/temp_dir.h"
#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "engine/ops.h"
#include "engine/optim/adam.h"

using namespace aafgan;
namespace fs = std::filesystem;
using aafgan::testing::TempDir;

namespace {

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

nn::NamedTensors sample_tensors() {
  std::vector<double> v(2 * 3 * 2 * 2);
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<double>(i)) * 1e3 + 1.0 / 3.0;
  return {
      {"gen.0.weight", Tensor::from_vector({2, 3, 2, 2}, v, DType::f32)},
      {"gen.0.bias", Tensor::from_vector({3}, {0.1, -0.2, 1e-30}, DType::f64)},
      {"optim.step", Tensor::scalar(12345, DType::f64)},
      {"empty", Tensor::zeros({0, 4}, DType::f32)},
      {"disc.bn.running_var", Tensor::from_vector({2, 1}, {1.0 / 3.0, 2e300}, DType::f64)},
  };
}

nlohmann::json sample_metadata() {
  return {{"epoch", 7}, {"config", {{"lr", 2e-4}, {"name", "celeba_dcgan"}}}, {"rng", {123456789u, 42}}};
}

// Expects load_checkpoint(path) to throw an Error whose message names the file and contains `what`.
void check_load_fails(const std::string& path, const std::string& what) {
  try {
    load_checkpoint(path);
    FAIL("loading " << path << " did not throw");
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find(what) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("checkpoint: round trip of f32 and f64 tensors and metadata") {
  TempDir dir("checkpoint_roundtrip");
  const std::string path = dir.file("model.ckpt");
  const nn::NamedTensors tensors = sample_tensors();
  save_checkpoint(path, tensors, sample_metadata());
  const Checkpoint ck = load_checkpoint(path);
  CHECK(ck.path == path);
  CHECK(ck.metadata == sample_metadata());
  REQUIRE(ck.tensors.size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    CAPTURE(tensors[i].first);
    CHECK(ck.tensors[i].first == tensors[i].first);  // order is kept
    CHECK(bit_identical(ck.tensors[i].second, tensors[i].second));
    CHECK(ck.tensors[i].second.device().is_cpu());
  }
  CHECK(ck.at("optim.step").item() == 12345);
  CHECK(ck.contains("gen.0.bias"));
  CHECK_FALSE(ck.contains("gen.1.bias"));
  CHECK_THROWS_WITH_AS(ck.at("gen.1.bias"), doctest::Contains("gen.1.bias"), Error);
  CHECK_THROWS_WITH_AS(ck.at("gen.1.bias"), doctest::Contains(path.c_str()), Error);
}

TEST_CASE("checkpoint: an empty checkpoint and null metadata round trip") {
  TempDir dir("checkpoint_empty");
  const std::string path = dir.file("e.ckpt");
  save_checkpoint(path, {}, nullptr);
  const Checkpoint ck = load_checkpoint(path);
  CHECK(ck.tensors.empty());
  CHECK(ck.metadata.is_null());
}

TEST_CASE("checkpoint: a truncated file throws") {
  TempDir dir("checkpoint_truncated");
  const std::string path = dir.file("t.ckpt");
  save_checkpoint(path, sample_tensors(), sample_metadata());
  const std::vector<char> full = read_bytes(path);
  for (size_t keep : {full.size() - 1, full.size() - 4, full.size() / 2, size_t(30), size_t(8)}) {
    CAPTURE(keep);
    write_bytes(path, std::vector<char>(full.begin(), full.begin() + static_cast<long>(keep)));
    check_load_fails(path, "truncated");
  }
  // An empty file (fuzz/corpus/checkpoint/crash-empty-file: it once passed a null pointer to
  // memcmp, which only a UBSan build reports).
  write_bytes(path, {});
  check_load_fails(path, "truncated");
}

TEST_CASE("checkpoint: any flipped byte throws") {
  TempDir dir("checkpoint_flipped");
  const std::string path = dir.file("f.ckpt");
  save_checkpoint(path, sample_tensors(), sample_metadata());
  const std::vector<char> good = read_bytes(path);
  // Every byte: header, metadata, names, shapes, data, the stored length and the CRC itself.
  for (size_t at = 0; at < good.size(); ++at) {
    CAPTURE(at);
    std::vector<char> bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    write_bytes(path, bad);
    CHECK_THROWS_AS(load_checkpoint(path), Error);
  }
  // A flip inside the tensor data is reported as corruption.
  std::vector<char> bad = good;
  bad[good.size() - 20] ^= 0x01;
  write_bytes(path, bad);
  check_load_fails(path, "corrupted");
  // Extra bytes appended are corruption too.
  bad = good;
  bad.push_back(0);
  write_bytes(path, bad);
  check_load_fails(path, "corrupted");
}

TEST_CASE("checkpoint: wrong magic and unknown version throw") {
  TempDir dir("checkpoint_magic");
  const std::string path = dir.file("m.ckpt");
  write_bytes(path, std::vector<char>(200, 'x'));
  check_load_fails(path, "magic");
  save_checkpoint(path, sample_tensors(), sample_metadata());
  std::vector<char> bytes = read_bytes(path);
  bytes[0] = 'B';
  write_bytes(path, bytes);
  check_load_fails(path, "magic");
  bytes[0] = 'A';
  bytes[8] = 2;  // the version, little-endian u32 right after the magic
  write_bytes(path, bytes);
  check_load_fails(path, "version 2");
  check_load_fails(dir.file("missing.ckpt"), "cannot open");
  fs::create_directory(dir.file("folder.ckpt"));
  check_load_fails(dir.file("folder.ckpt"), "directory");
}

TEST_CASE("checkpoint: FIFOs and devices are refused by type, before opening") {
  // /dev/zero would be read without end; a FIFO's open() waits for a writer. The writer here
  // only unblocks a reader that did open it, so that one fails this test instead of hanging it.
  check_load_fails("/dev/zero", "is a character device, not a regular file");
  TempDir dir("ckpt_fifo");
  const std::string fifo = dir.file("fifo.ckpt");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::atomic<bool> done{false};
  std::thread unblocker([&] {
    while (!done.load()) {
      const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // ENXIO until a reader waits
      if (fd >= 0) {
        ::close(fd);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  check_load_fails(fifo, "is a FIFO, not a regular file");
  done = true;
  unblocker.join();
}

TEST_CASE("checkpoint: the .tmp is gone after save and saving over an existing file works") {
  TempDir dir("checkpoint_overwrite");
  const std::string path = dir.file("o.ckpt");
  save_checkpoint(path, sample_tensors(), sample_metadata());
  CHECK(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".tmp"));
  const Tensor newer = Tensor::from_vector({2}, {5.0, 6.0}, DType::f32);
  save_checkpoint(path, {{"w", newer}}, {{"epoch", 8}});
  CHECK_FALSE(fs::exists(path + ".tmp"));
  const Checkpoint ck = load_checkpoint(path);
  REQUIRE(ck.tensors.size() == 1);
  CHECK(bit_identical(ck.at("w"), newer));
  CHECK(ck.metadata["epoch"] == 8);
  // Only the checkpoint itself is left in the folder.
  CHECK(std::distance(fs::directory_iterator(fs::path(path).parent_path()), fs::directory_iterator{}) == 1);
}

TEST_CASE("checkpoint: a failed save leaves the previous file and no temporary") {
  TempDir dir("checkpoint_failed_save");
  const std::string path = dir.file("p.ckpt");
  save_checkpoint(path, sample_tensors(), sample_metadata());
  const std::vector<char> before = read_bytes(path);
  // An undefined tensor and a duplicate name are rejected before anything is written.
  CHECK_THROWS_WITH_AS(save_checkpoint(path, {{"a", Tensor()}}, nullptr), doctest::Contains("'a'"), Error);
  const Tensor t = Tensor::ones({2});
  CHECK_THROWS_WITH_AS(save_checkpoint(path, {{"a", t}, {"a", t}}, nullptr), doctest::Contains("twice"), Error);
  CHECK(read_bytes(path) == before);
  CHECK_FALSE(fs::exists(path + ".tmp"));
  // A folder that does not exist.
  const std::string nowhere = dir.file("no/such/dir/x.ckpt");
  CHECK_THROWS_WITH_AS(save_checkpoint(nowhere, {{"a", t}}, nullptr), doctest::Contains(nowhere.c_str()), Error);
}

TEST_CASE("checkpoint: load_into copies in place with dtype conversion and shape checks") {
  TempDir dir("checkpoint_load_into");
  const std::string path = dir.file("l.ckpt");
  save_checkpoint(path,
                  {{"net.w", Tensor::from_vector({2, 2}, {1, 2, 3, 4}, DType::f64)},
                   {"net.b", Tensor::from_vector({2}, {0.5, -0.5}, DType::f32)}},
                  nullptr);
  const Checkpoint ck = load_checkpoint(path);
  Tensor w = Tensor::zeros({2, 2}, DType::f32);
  Tensor b = Tensor::zeros({2}, DType::f64);
  const void* w_storage = w.raw_data();
  load_into(ck, {{"w", w}, {"b", b}}, "net.");
  CHECK(w.raw_data() == w_storage);
  CHECK(w.dtype() == DType::f32);
  CHECK(w.to_vector() == std::vector<double>{1, 2, 3, 4});
  CHECK(b.to_vector() == std::vector<double>{0.5, -0.5});

  Tensor wrong = Tensor::zeros({4}, DType::f32);
  Tensor untouched = Tensor::zeros({2}, DType::f64);
  CHECK_THROWS_WITH_AS(load_into(ck, {{"b", untouched}, {"w", wrong}}, "net."), doctest::Contains("net.w"), Error);
  CHECK(untouched.to_vector() == std::vector<double>{0, 0});  // nothing copied when one target fails
  CHECK_THROWS_WITH_AS(load_into(ck, {{"v", wrong}}, "net."), doctest::Contains("net.v"), Error);
}

TEST_CASE("checkpoint: Adam parameters and state through a file resume bit-identically") {
  TempDir dir("checkpoint_adam_resume");
  const std::string path = dir.file("adam.ckpt");
  auto make_param = [] {
    Tensor p = Tensor::from_vector({2, 3}, {0.1, -0.2, 0.3, 0.4, -0.5, 0.6}, DType::f32);
    p.set_requires_grad(true);
    return p;
  };
  auto grad_step = [](Tensor p, optim::Optimizer& opt) {
    opt.zero_grad();
    autograd::backward(sum(mul(mul(p, p), p)));
    opt.step();
  };
  optim::AdamOptions o;
  o.lr = 0.01;
  Tensor a = make_param();
  optim::Adam first({a}, o);
  for (int s = 0; s < 3; ++s) grad_step(a, first);

  nn::NamedTensors all = {{"model.w", a}};
  for (const auto& [name, t] : first.state()) all.emplace_back("optim." + name, t);
  save_checkpoint(path, all, {{"epoch", 3}});

  Tensor b = make_param();
  optim::Adam second({b}, o);
  const Checkpoint ck = load_checkpoint(path);
  load_into(ck, {{"w", b}}, "model.");
  nn::NamedTensors opt_state;
  for (const auto& [name, t] : ck.tensors)
    if (name.rfind("optim.", 0) == 0) opt_state.emplace_back(name.substr(6), t);
  second.load_state(opt_state);

  for (int s = 0; s < 5; ++s) {
    grad_step(a, first);
    grad_step(b, second);
  }
  CHECK(bit_identical(a, b));
}
