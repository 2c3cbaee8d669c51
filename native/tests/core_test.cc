// Standalone test of the native core without N-API: kernels, thread pool, plan, and the
// binding's job threads and job registry (binding/jobs.h is pure C++). Built and run under
// ThreadSanitizer by scripts/test-tsan.sh and under AddressSanitizer + UBSan (with leak
// detection) by scripts/test-asan.sh; see scripts/core-test.sh.
//
//   1. GEMM, every ISA this CPU runs, a grid of shapes × transposes × epilogues, on private
//      pools of 2, 3, 4 and 7 threads (also two callers on one pool at once): bitwise equal
//      to the single-threaded result.
//   2. Four Plans (two MLPs; a catalog network with every layer kind, weights, dropout,
//      batchNorm, layerNorm, a frozen layer; an MLP trained on batches of 1100 rows, in lanes
//      when the pool has several threads) trained at once from four std::threads on the
//      process pool, then predict, evaluate, lossAndGrad (with K-FAC factors) and a
//      Hessian-vector product: bitwise equal to the same Plans run one after the other, and to
//      a workspace for one thread.
//      Prints "plan-hash <isa> <hex>" lines: scripts/test-tsan.sh compares them across
//      DOWNHILL_THREADS=1, 3, 4 (one pool per process), i.e. against single-threaded runs.
//   3. JobThreads + JobRegistry: jobs posted from two threads, env-teardown shutdown while
//      jobs run (they see abort and stop), stop() joins everything.
//   4. The second-order methods' vector operations and spd_inverse on private pools of 2, 3,
//      4 and 7 threads (two callers at once): bitwise equal to the calling thread alone, for
//      every ISA, and across ISAs (the double tile kernel, compared at double precision).
//   5. StepSplit's choice between the split and the serial train step, on made-up step times:
//      the probe alternates blocks of steps, a block's first step is not timed, the faster by
//      median wins, a switch needs the margin, a confirmed choice is probed half as often, a new
//      batch size probes again, short batches are not timed.
//
// Exit status 0 when every check passes; the first failure is printed.
#include <atomic>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "binding/jobs.h"
#include "kernels/gemm.h"
#include "kernels/spd_inverse.h"
#include "kernels/vector_ops.h"
#include "plan/plan.h"
#include "plan/spec.h"
#include "plan/step_split.h"
#include "runtime/dispatch.h"
#include "runtime/thread_pool.h"

namespace {

using namespace dh;

int g_failures = 0;

void fail(const std::string& what) {
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  ++g_failures;
}

uint64_t fnv(const float* p, size_t n, uint64_t h = 1469598103934665603ull) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n * sizeof(float); ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

struct Rng {
  uint32_t s;
  explicit Rng(uint32_t seed) : s(seed) {}
  float next() {  // [-1, 1)
    s = s * 1664525u + 1013904223u;
    return static_cast<float>(s >> 8) / 8388608.0f - 1.0f;
  }
};

// ---------------------------------------------------------------------------------------
// 1. GEMM at several thread counts

struct Shape {
  size_t m, n, k;
};

void gemm_case(const kernels::KernelTable& t, const char* isa, const Shape& s, bool ta, bool tb,
               kernels::Epilogue ep, float beta) {
  Rng rng(static_cast<uint32_t>(s.m * 131 + s.n * 17 + s.k + ta * 7 + tb * 3));
  const size_t lda = (ta ? s.m : s.k) + 3, ldb = (tb ? s.k : s.n) + 1, ldc = s.n + 2;
  std::vector<float> a((ta ? s.k : s.m) * lda), b((tb ? s.n : s.k) * ldb), c0(s.m * ldc), bias(s.n);
  for (float& v : a) v = rng.next();
  for (float& v : b) v = rng.next();
  for (float& v : c0) v = rng.next();
  for (float& v : bias) v = rng.next();
  kernels::GemmArgs g;
  g.trans_a = ta, g.trans_b = tb, g.m = s.m, g.n = s.n, g.k = s.k;
  g.alpha = 0.75f, g.beta = beta;
  g.a = a.data(), g.lda = lda, g.b = b.data(), g.ldb = ldb, g.ldc = ldc;
  g.bias = bias.data(), g.epilogue = ep;

  std::vector<float> ref = c0;
  {
    kernels::GemmWorkspace ws;
    ws.reserve(t, s.m, s.n, 1);
    g.c = ref.data();
    runtime::ScopedDenormalsFlush ftz;
    kernels::gemm(t, g, ws, nullptr);
  }
  for (int threads : {2, 3, 4, 7}) {
    runtime::ThreadPool pool(threads);
    kernels::GemmWorkspace ws;
    ws.reserve(t, s.m, s.n, threads);
    // Two callers on one pool at once: one gets the pool, the other runs alone; both must
    // produce the single-threaded result.
    std::vector<float> c1 = c0, c2 = c0;
    auto run = [&](float* c) {
      kernels::GemmArgs h = g;
      h.c = c;
      runtime::ScopedDenormalsFlush ftz;
      kernels::gemm(t, h, ws, &pool);
    };
    // Each caller needs its own workspace when both run at once.
    kernels::GemmWorkspace ws2;
    ws2.reserve(t, s.m, s.n, threads);
    std::thread other([&] {
      kernels::GemmArgs h = g;
      h.c = c2.data();
      runtime::ScopedDenormalsFlush ftz;
      kernels::gemm(t, h, ws2, &pool);
    });
    run(c1.data());
    other.join();
    if (std::memcmp(c1.data(), ref.data(), ref.size() * sizeof(float)) != 0 ||
        std::memcmp(c2.data(), ref.data(), ref.size() * sizeof(float)) != 0) {
      fail(std::string("gemm ") + isa + " m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
           " k=" + std::to_string(s.k) + " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) + " threads=" +
           std::to_string(threads) + ": differs from the single-threaded result");
    }
  }
}

void test_gemm() {
  const Shape shapes[] = {{1, 1, 1}, {5, 17, 9}, {37, 70, 33}, {96, 130, 300}, {13, 257, 64}};
  int cases = 0;
  for (runtime::Isa isa : runtime::available_isas()) {
    const kernels::KernelTable* t = runtime::table_for(isa);
    for (const Shape& s : shapes)
      for (int tr = 0; tr < 4; ++tr) {
        const kernels::Epilogue ep = tr == 0   ? kernels::Epilogue::kBiasRelu
                                     : tr == 1 ? kernels::Epilogue::kBias
                                               : kernels::Epilogue::kNone;
        gemm_case(*t, runtime::isa_name(isa), s, tr & 1, tr & 2, ep, tr == 3 ? 0.5f : 0.0f);
        ++cases;
      }
  }
  std::printf("gemm: %d cases × threads {2,3,4,7} × 2 concurrent callers\n", cases);
}

// ---------------------------------------------------------------------------------------
// 2. Plans trained concurrently

struct Trained {
  std::vector<float> params, state, loss;
};

plan::Spec make_spec(size_t in, size_t hidden, size_t out, bool adam) {
  plan::Spec s;
  s.input_size = in;
  s.max_batch = 24;
  auto dense = [](size_t i, size_t o, plan::Activation a) {
    plan::Layer l;
    l.inputs = i, l.units = o, l.activation = a;
    return l;
  };
  s.layers = {dense(in, hidden, plan::Activation::kRelu), dense(hidden, hidden / 2, plan::Activation::kRelu),
              dense(hidden / 2, out, plan::Activation::kSoftmax)};
  if (adam) {
    s.optimizer.kind = plan::OptimizerSpec::Kind::kAdam;
    s.optimizer.clip_norm = 1.0;
    s.optimizer.weight_decay = 1e-3;
  } else {
    s.optimizer.kind = plan::OptimizerSpec::Kind::kSgd;
    s.optimizer.momentum = 0.9;
  }
  return s;
}

// Every layer kind (wide enough that activations, dropout and the norms split over the pool),
// label smoothing, regularization, a frozen layer; trained with per-row weights.
plan::Spec make_catalog_spec(size_t in, size_t out) {
  plan::Spec s;
  s.input_size = in;
  s.max_batch = 24;
  s.seed = 77;
  auto layer = [](plan::LayerKind k, size_t i, size_t o, plan::Activation a = plan::Activation::kLinear) {
    plan::Layer l;
    l.kind = k, l.inputs = i, l.units = o, l.activation = a;
    return l;
  };
  using K = plan::LayerKind;
  using A = plan::Activation;
  plan::Layer d0 = layer(K::kDense, in, 512, A::kGelu);
  d0.kernel_l2 = 1e-3, d0.bias_l1 = 1e-4;
  plan::Layer drop = layer(K::kDropout, 512, 512);
  drop.rate = 0.25;
  plan::Layer frozen = layer(K::kDense, 512, 256, A::kTanh);
  frozen.trainable = false;
  s.layers = {d0, layer(K::kBatchNorm, 512, 512), drop, frozen, layer(K::kLayerNorm, 256, 256),
              layer(K::kActivation, 256, 256, A::kMish), layer(K::kDense, 256, out, A::kSoftmax)};
  s.loss.label_smoothing = 0.1;
  s.optimizer.kind = plan::OptimizerSpec::Kind::kAdam;
  s.optimizer.clip_norm = 1.0;
  return s;
}

Trained train(const kernels::KernelTable& t, const plan::Spec& spec, int workspace_threads, uint32_t seed) {
  const size_t pc = plan::param_count(spec);
  const size_t in = spec.input_size, out = plan::output_size(spec), rows = 200;
  Trained r;
  r.params.resize(pc);
  Rng rng(seed);
  for (float& v : r.params) v = 0.2f * rng.next();
  {  // batchNorm's running variance starts at 1
    size_t off = 0;
    for (const auto& l : spec.layers) {
      if (l.kind == plan::LayerKind::kBatchNorm)
        for (size_t j = 0; j < l.units; ++j) r.params[off + 3 * l.units + j] = 1.0f;
      off += plan::layer_param_count(l);
    }
  }
  std::vector<float> grads(pc), x(rows * in), weights(rows);
  for (size_t i = 0; i < rows; ++i) weights[i] = static_cast<float>(i % 5) * 0.5f;
  r.state.assign(plan::state_slots(spec.optimizer) * pc, 0.0f);
  for (float& v : x) v = rng.next();
  // Batches of maxBatch rows: 24, or 1100 for the lanes spec (lanes of 256 rows when the pool
  // has 2–4 threads, the whole batch on 1: the same bits).
  const size_t batch = spec.max_batch;
  std::vector<int32_t> labels(rows), idx(std::max(rows * 3, 2 * batch + 100));
  for (size_t i = 0; i < rows; ++i) labels[i] = static_cast<int32_t>((i * 7 + seed) % out);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int32_t>((i * 37 + seed) % rows);
  const size_t steps = (idx.size() + batch - 1) / batch;
  std::vector<float> lrs(steps, 0.01f);
  std::vector<int32_t> correct(steps);
  r.loss.resize(steps);

  plan::Plan p(spec, t, workspace_threads);
  plan::Arenas a;
  a.params = r.params.data(), a.grads = grads.data(), a.state = r.state.empty() ? nullptr : r.state.data();
  plan::TrainRequest req;
  req.x = x.data();
  req.y.labels = labels.data();
  if (spec.seed != 0) req.y.weights = weights.data();
  req.indices = idx.data();
  req.count = idx.size();
  req.batch = batch;
  req.lrs = lrs.data();
  req.steps = steps;
  req.loss_out = r.loss.data();
  req.correct_out = correct.data();
  std::atomic<bool> cancel{false};
  const size_t done = p.train_steps(a, req, cancel);
  if (done != steps) fail("train_steps completed " + std::to_string(done) + " of " + std::to_string(steps));
  std::vector<float> pred(rows * out);
  p.predict(a, x.data(), rows, pred.data(), &cancel);
  r.loss.insert(r.loss.end(), pred.begin(), pred.end());  // predictions take part in the comparison
  plan::EvalResult ev;
  p.evaluate(a, x.data(), req.y, rows, pred.data(), &cancel, &ev);
  r.loss.push_back(static_cast<float>(ev.loss));
  // K-FAC factors and a Hessian-vector product from the same passes.
  std::vector<std::vector<float>> fa, fg;
  for (const auto& l : spec.layers) {
    if (l.kind != plan::LayerKind::kDense) continue;
    const size_t d = l.inputs + (l.use_bias ? 1 : 0);
    fa.emplace_back(d * d);
    fg.emplace_back(l.units * l.units);
  }
  std::vector<float*> pa, pg;
  for (auto& m : fa) pa.push_back(m.data());
  for (auto& m : fg) pg.push_back(m.data());
  plan::Factors factors;
  factors.a = pa.data(), factors.g = pg.data();
  r.loss.push_back(static_cast<float>(p.loss_and_grad(a, x.data(), req.y, idx.data(), 20, true, 5, &factors)));
  r.loss.insert(r.loss.end(), grads.begin(), grads.end());
  for (const auto& m : fa) r.loss.insert(r.loss.end(), m.begin(), m.end());
  for (const auto& m : fg) r.loss.insert(r.loss.end(), m.begin(), m.end());
  std::vector<float> v(pc), hv(pc);
  for (float& e : v) e = rng.next();
  p.prepare_r();
  p.hessian_vector(a, x.data(), req.y, idx.data(), 20, true, 5, v.data(), hv.data());
  r.loss.insert(r.loss.end(), hv.begin(), hv.end());
  return r;
}

bool bits_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

bool same(const Trained& a, const Trained& b) {
  return bits_equal(a.params, b.params) && bits_equal(a.state, b.state) && bits_equal(a.loss, b.loss);
}

void test_plans() {
  const int threads = runtime::pool_size();
  for (runtime::Isa isa : runtime::available_isas()) {
    const kernels::KernelTable* t = runtime::table_for(isa);
    const plan::Spec sa = make_spec(40, 64, 10, true), sb = make_spec(23, 48, 7, false);
    const plan::Spec sc = make_catalog_spec(40, 6);
    plan::Spec sd = make_spec(40, 96, 10, true);
    sd.max_batch = 1100;
    sd.layers[1].activation = plan::Activation::kTanh;
    // One after the other, workspace for one thread (GEMMs single-threaded).
    const Trained ra = train(*t, sa, 1, 1), rb = train(*t, sb, 1, 2), rc = train(*t, sc, 1, 3), rd = train(*t, sd, 1, 4);
    // One after the other, workspace for the whole pool.
    const Trained pa = train(*t, sa, threads, 1), pb = train(*t, sb, threads, 2), pc = train(*t, sc, threads, 3);
    const Trained pd = train(*t, sd, threads, 4);
    // At once, from four threads.
    Trained ca, cb, cc, cd;
    std::thread ta([&] { ca = train(*t, sa, threads, 1); });
    std::thread tb([&] { cb = train(*t, sb, threads, 2); });
    std::thread tc([&] { cc = train(*t, sc, threads, 3); });
    std::thread td([&] { cd = train(*t, sd, threads, 4); });
    ta.join();
    tb.join();
    tc.join();
    td.join();
    const std::string name = runtime::isa_name(isa);
    if (!same(ra, pa) || !same(rb, pb) || !same(rc, pc) || !same(rd, pd))
      fail("plan " + name + ": pool workspace differs from one-thread workspace");
    if (!same(ra, ca) || !same(rb, cb) || !same(rc, cc) || !same(rd, cd))
      fail("plan " + name + ": concurrent training differs from sequential");
    uint64_t h = fnv(ra.params.data(), ra.params.size());
    h = fnv(ra.state.data(), ra.state.size(), h);
    h = fnv(ra.loss.data(), ra.loss.size(), h);
    h = fnv(rb.params.data(), rb.params.size(), h);
    h = fnv(rb.state.data(), rb.state.size(), h);
    h = fnv(rb.loss.data(), rb.loss.size(), h);
    h = fnv(rc.params.data(), rc.params.size(), h);
    h = fnv(rc.state.data(), rc.state.size(), h);
    h = fnv(rc.loss.data(), rc.loss.size(), h);
    h = fnv(rd.params.data(), rd.params.size(), h);
    h = fnv(rd.state.data(), rd.state.size(), h);
    h = fnv(rd.loss.data(), rd.loss.size(), h);
    std::printf("plan-hash %s %016llx\n", name.c_str(), static_cast<unsigned long long>(h));
  }
  std::printf("plans: pool of %d threads, four plans at once\n", threads);
}

// ---------------------------------------------------------------------------------------
// 3. Job threads and registry

struct CountTask : binding::JobThreads::Task {
  std::atomic<int>* counter;
  explicit CountTask(std::atomic<int>* c) : counter(c) {}
  void run() override {
    counter->fetch_add(1);
    delete this;
  }
};

// Runs until the registry's shutdown sets abort (like a long train_steps), between begin/end.
struct LongTask : binding::JobThreads::Task {
  std::shared_ptr<binding::JobRegistry> jobs;
  binding::PlanCore core;
  std::atomic<int>* started;
  std::atomic<int>* finished;
  void run() override {
    const bool ran = jobs->begin();
    if (ran) {
      started->fetch_add(1);
      while (!core.abort.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    jobs->end(&core, ran);
    finished->fetch_add(1);
  }
};

void test_jobs() {
  {
    binding::JobThreads threads;
    std::atomic<int> counter{0};
    auto post_many = [&] {
      for (int i = 0; i < 200; ++i) threads.post(new CountTask(&counter));
    };
    std::thread other(post_many);
    post_many();
    other.join();
    threads.stop();
    if (counter.load() != 400) fail("job threads ran " + std::to_string(counter.load()) + " of 400 tasks");
    auto late = std::make_unique<CountTask>(&counter);
    try {
      threads.post(late.get());
      late.release();  // accepted (a failure): the task deletes itself
      fail("post after stop was accepted");
    } catch (const std::logic_error&) {
    }
  }
  {
    auto jobs = std::make_shared<binding::JobRegistry>();
    binding::JobThreads threads;
    std::atomic<int> started{0}, finished{0};
    std::vector<std::unique_ptr<LongTask>> tasks;
    for (int i = 0; i < 4; ++i) {
      auto t = std::make_unique<LongTask>();
      t->jobs = jobs;
      t->started = &started;
      t->finished = &finished;
      jobs->queued(&t->core);
      threads.post(t.get());
      tasks.push_back(std::move(t));
    }
    while (started.load() < 4) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (threads.threads() != 4) fail("4 concurrent jobs ran on " + std::to_string(threads.threads()) + " threads");
    jobs->shutdown();  // the env cleanup hook: abort everything, wait for the running jobs
    threads.stop();
    if (finished.load() != 4) fail("shutdown returned with jobs still running");
  }
  std::printf("jobs: 400 tasks from two threads; shutdown of 4 running jobs\n");
}

// ---------------------------------------------------------------------------------------
// 4. Vector operations and the SPD inverse at several thread counts

struct VecResult {
  double dot = 0, sum_abs = 0, max_abs = 0;
  std::vector<float> y, z, inv;
  bool ok = false;
};

VecResult vector_ops(const kernels::KernelTable& t, runtime::ThreadPool* pool, const std::vector<float>& a,
                     const std::vector<float>& b, const std::vector<float>& s, size_t d) {
  runtime::ScopedDenormalsFlush ftz;
  VecResult r;
  const size_t n = a.size();
  r.dot = kernels::vec_dot(pool, n, a.data(), b.data());
  r.sum_abs = kernels::vec_sum_abs(pool, n, a.data());
  r.max_abs = kernels::vec_max_abs(pool, n, b.data());
  r.y = b;
  kernels::vec_axpy(pool, n, -0.37, a.data(), r.y.data());
  kernels::vec_scale(pool, n, 1.7, r.y.data());
  r.z.resize(n);
  kernels::vec_add_scaled(pool, n, a.data(), 0.01, b.data(), r.z.data());
  r.inv.resize(d * d);
  std::vector<double> scratch(kernels::spd_scratch_doubles(d));
  r.ok = kernels::spd_inverse(t, pool, d, s.data(), 1e-3, r.inv.data(), scratch.data());
  return r;
}

bool same(const VecResult& x, const VecResult& y) {
  return std::memcmp(&x.dot, &y.dot, sizeof(double)) == 0 && std::memcmp(&x.sum_abs, &y.sum_abs, sizeof(double)) == 0 &&
         std::memcmp(&x.max_abs, &y.max_abs, sizeof(double)) == 0 && bits_equal(x.y, y.y) && bits_equal(x.z, y.z) &&
         bits_equal(x.inv, y.inv) && x.ok == y.ok;
}

void test_vectors() {
  const size_t n = 300007, d = 150;  // 37 reduction blocks; d splits over the pool
  Rng rng(4242);
  std::vector<float> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = std::ldexp(rng.next(), static_cast<int>(i % 21) - 10);
    b[i] = std::ldexp(rng.next(), static_cast<int>(i % 17) - 8);
  }
  std::vector<float> x(2 * d * d), s(d * d);
  for (float& v : x) v = rng.next();
  for (size_t i = 0; i < d; ++i)
    for (size_t j = 0; j <= i; ++j) {
      double acc = 0;
      for (size_t p = 0; p < 2 * d; ++p) acc += static_cast<double>(x[p * d + i]) * x[p * d + j];
      s[i * d + j] = s[j * d + i] = static_cast<float>(acc / (2 * d));
    }
  VecResult first;
  std::vector<double> first_tile;
  bool have_first = false;
  for (runtime::Isa isa : runtime::available_isas()) {
    const kernels::KernelTable* t = runtime::table_for(isa);
    const std::string name = runtime::isa_name(isa);
    const VecResult ref = vector_ops(*t, nullptr, a, b, s, d);
    if (!ref.ok) fail("spd_inverse " + name + ": a positive definite matrix was rejected");
    for (int threads : {2, 3, 4, 7}) {
      runtime::ThreadPool pool(threads);
      VecResult r1, r2;
      std::thread other([&] { r2 = vector_ops(*t, &pool, a, b, s, d); });
      r1 = vector_ops(*t, &pool, a, b, s, d);
      other.join();
      if (!same(r1, ref) || !same(r2, ref))
        fail("vector ops " + name + " threads=" + std::to_string(threads) + ": differ from the single-threaded result");
    }
    // The double tile kernel itself, at double precision, over strided rows.
    std::vector<double> tx(37 * 19), ty(37 * 19), tile(32);
    Rng again(7);
    for (size_t i = 0; i < tx.size(); ++i) tx[i] = std::ldexp(again.next(), static_cast<int>(i % 23) - 11);
    for (size_t i = 0; i < ty.size(); ++i) ty[i] = std::ldexp(again.next(), static_cast<int>(i % 13) - 6);
    t->f64_gemm_tn_4x8(37, tx.data() + 3, ty.data() + 9, 19, tile.data());
    for (size_t i = 0; i < 4; ++i)
      for (size_t j = 0; j < 8; ++j) {
        double want = 0;
        for (size_t p = 0; p < 37; ++p) want += tx[p * 19 + 3 + i] * ty[p * 19 + 9 + j];
        if (std::memcmp(&want, &tile[i * 8 + j], sizeof want) != 0)
          fail("f64_gemm_tn_4x8 " + name + ": differs from the ascending-p double sum");
      }
    if (!have_first) {
      first = ref, first_tile = tile, have_first = true;
    } else if (!same(ref, first) || std::memcmp(tile.data(), first_tile.data(), tile.size() * sizeof(double)) != 0) {
      fail("vector ops " + name + ": differ from " + runtime::isa_name(runtime::available_isas()[0]));
    }
  }
  std::printf("vectors: n=%zu, spd_inverse %zux%zu, threads {2,3,4,7} × 2 concurrent callers, every ISA\n", n, d, d);
}

// ---------------------------------------------------------------------------------------
// 5. StepSplit

// Runs `steps` steps of `rows` rows as the split asks, each taking `split` or `serial` seconds;
// returns how many ran on the pool.
int run_steps(plan::StepSplit& s, int steps, size_t rows, double split, double serial) {
  int on_pool = 0;
  for (int i = 0; i < steps; ++i) {
    const bool p = s.parallel(rows);
    on_pool += p ? 1 : 0;
    s.record(rows, p, p ? split : serial);
  }
  return on_pool;
}

// Whether step i of a probe runs split: blocks of kBlockSteps, alternating, the split block first.
bool probe_split(int i) { return (i / plan::StepSplit::kBlockSteps) % 2 == 0; }

void test_step_split() {
  using plan::StepSplit;
  constexpr int probe = StepSplit::kProbeSteps, half = probe / 2;
  {
    StepSplit s;
    s.begin(32);
    for (int i = 0; i < probe; ++i) {
      if (s.parallel(32) != probe_split(i)) fail("step split: the probe alternates blocks, the split block first");
      s.record(32, probe_split(i), probe_split(i) ? 2e-3 : 1e-3);
    }
    if (run_steps(s, StepSplit::kKeepSteps, 32, 2e-3, 1e-3) != 0) fail("step split: a faster serial step is kept");
    // The next probe finds the split step faster again.
    const int on_pool = run_steps(s, probe + 10, 32, 1e-3, 2e-3);
    if (on_pool != half + 10) fail("step split: a faster split step wins the next probe");
  }
  {
    // A step after a change of way pays for pulling the other core's writes (more for the
    // split step, whose second core then reads what the calling thread wrote): timed one
    // step each way in turn, every step would pay it and the serial step would win.
    StepSplit s;
    s.begin(128);
    bool prev = true;
    for (int i = 0; i < probe; ++i) {
      const bool p = s.parallel(128);
      const double steady = p ? 0.7e-3 : 1e-3, change = p ? 1.0e-3 : 0.2e-3;
      s.record(128, p, steady + (p != prev ? change : 0.0));
      prev = p;
    }
    if (!s.parallel(128)) fail("step split: the cost of changing way does not decide");
  }
  {
    StepSplit s;
    s.begin(64);
    // Serial 2% faster: within the margin, the split step (the way kept so far) stays.
    if (run_steps(s, probe + 100, 64, 1.00e-3, 0.98e-3) != half + 100) fail("step split: a switch needs the margin");
  }
  {
    StepSplit s;
    s.begin(64);
    run_steps(s, probe, 64, 1e-3, 2e-3);
    // Confirmed: the next probe comes after 2 · kKeepSteps steps, not kKeepSteps.
    if (run_steps(s, 2 * StepSplit::kKeepSteps, 64, 1e-3, 2e-3) != 2 * StepSplit::kKeepSteps)
      fail("step split: a confirmed choice is probed half as often");
    for (int i = 0; i < 2 * StepSplit::kBlockSteps; ++i) {
      if (s.parallel(64) != probe_split(i)) fail("step split: the probe after the longer period alternates blocks");
      s.record(64, probe_split(i), 1e-3);
    }
  }
  {
    StepSplit s;
    s.begin(32);
    run_steps(s, probe, 32, 2e-3, 1e-3);
    if (s.parallel(32)) fail("step split: serial chosen");
    // A short last batch follows the choice and is not timed: the keep period is unchanged.
    for (int i = 0; i < 1000; ++i) {
      if (s.parallel(7)) fail("step split: a short batch follows the choice");
      s.record(7, false, 1.0);
    }
    if (run_steps(s, StepSplit::kKeepSteps - 1, 32, 2e-3, 1e-3) != 0) fail("step split: short batches do not count");
    // A new batch size probes from the start.
    s.begin(128);
    for (int i = 0; i < 2 * StepSplit::kBlockSteps; ++i) {
      if (s.parallel(128) != probe_split(i)) fail("step split: a new batch size starts a probe, the split block first");
      s.record(128, probe_split(i), 1e-3);
    }
  }
  {
    // A step run the other way than asked is not a sample and does not advance the probe.
    StepSplit s;
    s.begin(32);
    s.record(32, false, 1.0);
    if (!s.parallel(32)) fail("step split: a step run the other way does not advance the probe");
  }
}

}  // namespace

int main() {
  runtime::acquire_pool();
  test_gemm();
  test_plans();
  test_jobs();
  test_vectors();
  test_step_split();
  runtime::release_pool();
  if (g_failures) {
    std::fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  std::printf("core tests: ok\n");
  return 0;
}
