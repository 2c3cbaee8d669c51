// Whether a whole-batch train step splits its kernels over the thread pool or runs on the
// calling thread alone. Both give the same bits (no kernel's result depends on the thread
// count), so only speed decides, and the faster one depends on the batch size and on how busy
// the cores are at the time: on the seed network at batch 32, the split step ran 1.46× the
// speed of the serial one on a quiet machine and 0.63–0.86× on the same machine under load
// (its ~20 fork/joins per step each wait for the slower core). So the step is timed both ways
// and the faster by median is kept until the next probe; a switch needs a median
// kSwitchMargin faster than the way kept so far, so that noise between two near-equal ways
// does not flip the choice. The probe runs blocks of kBlockSteps steps one way, alternating,
// the split way first, and does not time a block's first step: the step after a change of
// way pulls the parameters and optimizer state the other core last wrote (the cores may share
// no cache), a cost a kept way does not pay. Timing single alternating steps charged that to
// every step and chose the serial step at batch 128, where the split one is 1.3× faster.
// Probes come kKeepSteps steps apart after a switch, and twice as far apart after each probe
// that confirms the choice (up to kMaxKeepSteps): a probe runs the slower way half the time.
// Only full batches are timed; a short last batch follows the choice.
#pragma once

#include <cstddef>

namespace dh::plan {

class StepSplit {
 public:
  static constexpr int kBlockSteps = 4;   // steps in a row one way; the first is not timed
  static constexpr int kProbeBlocks = 3;  // blocks each way
  static constexpr int kProbeSteps = 2 * kProbeBlocks * kBlockSteps;
  static constexpr int kSamples = kProbeBlocks * (kBlockSteps - 1);  // timed steps each way
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
  int step_ = 0;  // into the probe or into the keep period
  bool keep_parallel_ = true;
  int keep_steps_ = kKeepSteps;
  double times_[2][kSamples] = {};  // [serial, parallel][timed step of the way]
};

}  // namespace dh::plan
