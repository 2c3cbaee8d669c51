// Whether a whole-batch train step splits its kernels over the thread pool or runs on the
// calling thread alone. Both give the same bits (no kernel's result depends on the thread
// count), so only speed decides, and the faster one depends on the batch size and on how busy
// the cores are at the time: on the seed network at batch 32, the split step ran 1.46× the
// speed of the serial one on a quiet machine and 0.63–0.86× on the same machine under load
// (its ~20 fork/joins per step each wait for the slower core). So the step is timed both ways,
// alternating, kProbeSteps steps each, and the faster by median is kept until the next probe;
// a switch needs a median kSwitchMargin faster than the way kept so far, so that noise between
// two near-equal ways does not flip the choice. Probes come kKeepSteps steps apart after a
// switch, and twice as far apart after each probe that confirms the choice (up to
// kMaxKeepSteps): a probe runs the slower way half the time. Only full batches are timed; a
// short last batch follows the choice.
#pragma once

#include <cstddef>

namespace dh::plan {

class StepSplit {
 public:
  static constexpr int kProbeSteps = 7;  // each way
  static constexpr int kKeepSteps = 250;
  static constexpr int kMaxKeepSteps = 4000;
  static constexpr double kSwitchMargin = 0.03;

  // Train steps of `batch` rows follow (a new batch size starts with a probe).
  void begin(size_t batch);
  // Whether the next step, of `rows` rows, runs on the pool.
  bool parallel(size_t rows) const;
  // The step just run: `rows` rows, on the pool or not, in `seconds`.
  void record(size_t rows, bool parallel, double seconds);

 private:
  size_t batch_ = 0;
  bool probing_ = true;
  int step_ = 0;  // into the probe (alternating, the split step first) or into the keep period
  bool keep_parallel_ = true;
  int keep_steps_ = kKeepSteps;
  double times_[2][kProbeSteps] = {};  // [serial, parallel][probe round]
};

}  // namespace dh::plan
