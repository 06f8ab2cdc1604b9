#include "metrics/classifier_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "base/error.h"
#include "training/console.h"
#include "metrics/mnist_classifier_training.h"

namespace aafgan::models {

namespace fs = std::filesystem;

namespace {

// Held while the cache entry is checked and, if need be, trained.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot open {}: {}", path, std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) fail("cannot lock {}: {}", path, std::strerror(errno));
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

std::string aafgan_cache_dir() {
  if (const char* d = std::getenv("AAFGAN_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return (fs::path(x) / "aafgan").string();
  if (const char* h = std::getenv("HOME"); h && *h) return (fs::path(h) / ".cache" / "aafgan").string();
  fail("no cache folder: set AAFGAN_CACHE_DIR (or HOME), or pass --classifier FILE or none");
}

std::shared_ptr<MnistClassifier> cached_mnist_classifier(const std::string& mnist_dir, std::FILE* log) {
  const ClassifierData d = load_classifier_data(mnist_dir);
  const ClassifierRecipe recipe;
  const std::string dir = aafgan_cache_dir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cache folder {}: {}", dir, ec.message());
  const std::string path = (fs::path(dir) / fmt::format("mnist_classifier-{}.ckpt", d.fingerprint())).string();
  const FileLock lock(path + ".lock");
  if (fs::exists(path)) {
    try {
      auto net = std::make_shared<MnistClassifier>(MnistClassifier::load(path));
      const nlohmann::json& m = net->metadata();
      // The fingerprint covers the shape too; the net's own shape is checked as well, so that a file
      // put there by hand cannot score 10 classes with a 26-class net.
      if (m.value("data_fingerprint", "") == d.fingerprint() && m.value("epochs", 0) == recipe.epochs &&
          net->shape() == d.shape) {
        say(log, fmt::format("classifier: {} (held-out accuracy {:.2f}%)\n", path,
                             100 * m.value("held_out_accuracy", 0.0)));
        return net;
      }
      say(log, fmt::format("classifier: {} is not a complete training on these images ({}); training it again\n",
                           path, d.shape.str()));
    } catch (const std::exception& ex) {
      say(log, fmt::format("classifier: {} is unreadable ({}); training it again\n", path, ex.what()));
    }
  }
  say(log, fmt::format("classifier: training the reference MNIST classifier once for these images ({}; {}), {} "
                       "epochs; it is kept in {} for later runs\n", d.shape.str(), d.description, recipe.epochs, path));
  const auto start = std::chrono::steady_clock::now();
  double accuracy = 0;
  MnistClassifier trained = train_mnist_classifier(d, recipe, "", log, &accuracy);
  trained.save(path, classifier_metadata(d, recipe, recipe.epochs, accuracy, nlohmann::json::array()));
  say(log, fmt::format("classifier: held-out accuracy {:.2f}% after {:.0f} s\n", 100 * accuracy,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
  return std::make_shared<MnistClassifier>(MnistClassifier::load(path));
}

}  // namespace aafgan::models
