// 64-byte aligned scratch owned by native code (JS memory is never assumed aligned).
#pragma once

#include <cstddef>
#include <cstring>
#include <new>

namespace dh::runtime {

constexpr size_t kAlign = 64;

template <class T>
class AlignedArray {
 public:
  AlignedArray() = default;
  explicit AlignedArray(size_t n) { reset(n); }
  ~AlignedArray() { release(); }
  AlignedArray(const AlignedArray&) = delete;
  AlignedArray& operator=(const AlignedArray&) = delete;
  AlignedArray(AlignedArray&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr, o.n_ = 0; }
  AlignedArray& operator=(AlignedArray&& o) noexcept {
    if (this != &o) {
      release();
      p_ = o.p_, n_ = o.n_;
      o.p_ = nullptr, o.n_ = 0;
    }
    return *this;
  }

  // Allocates n zeroed elements (rounded up to whole cache lines); throws std::bad_alloc.
  void reset(size_t n) {
    release();
    if (n == 0) return;
    size_t bytes = n * sizeof(T);
    bytes = (bytes + kAlign - 1) / kAlign * kAlign;
    p_ = static_cast<T*>(::operator new(bytes, std::align_val_t(kAlign)));
    std::memset(static_cast<void*>(p_), 0, bytes);
    n_ = n;
  }
  T* data() const { return p_; }
  size_t size() const { return n_; }

 private:
  void release() {
    if (p_) ::operator delete(static_cast<void*>(p_), std::align_val_t(kAlign));
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace dh::runtime
