#include "kernels/gemm.h"

#include <algorithm>
#include <cstring>

#include "kernels/pack.h"
#include "runtime/thread_pool.h"

namespace dh::kernels {
namespace {

constexpr size_t kTileFloats = static_cast<size_t>(kMaxMr) * kMaxNr;
// Below this many multiply-adds per thread (~5 µs of AVX-512 work) the fork/join, the
// per-thread re-packing of the shared operand and the risk of waiting on a thread the OS
// has descheduled (the cores are often shared) cost more than the split saves. Measured at
// batch 128 (128×64×128, 1M MACs): 2 threads gained ~25% on an idle machine and lost ~2× under
// load, so that size now stays on one thread.
constexpr double kMinMacsPerThread = 1 << 20;

size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

// alpha == 0 or k == 0: C = epilogue(beta·C), A and B not read.
void scale_only(const GemmArgs& g) {
  for (size_t i = 0; i < g.m; ++i) {
    float* cr = g.c + i * g.ldc;
    for (size_t j = 0; j < g.n; ++j) {
      float x = g.beta == 0.0f ? 0.0f : (g.beta == 1.0f ? cr[j] : g.beta * cr[j]);
      if (g.epilogue != Epilogue::kNone) x = x + g.bias[j];
      if (g.epilogue == Epilogue::kBiasRelu) x = x < 0.0f ? 0.0f : x;
      cr[j] = x;
    }
  }
}

// The k-block size of this GEMM (GemmArgs::kc).
size_t block_k(const KernelTable& t, const GemmArgs& g) {
  const size_t isa = static_cast<size_t>(t.blocks.kc);
  return g.kc > 0 ? std::min(g.kc, isa) : isa;
}

// A thread's rectangle of at most this many rows reads B in place (f32_gemm_ukernel_ldb)
// instead of packing it: each B panel then serves at most 8 (AVX-512) to 24 (scalar) tile
// rows, too few to repay the copy (an inference lane of 64 rows spent 11% of its time packing
// the 784×256 first-layer weights; the strided rows, prefetched, cost the kernel nothing).
constexpr size_t kInPlaceBRows = 96;
// Up to 256 rows read B in place too while their k-block of B (kc × columns) fills at most half
// of a core's L2 (1 MiB on Zen 4/5, where this was measured): the strided rows then come from
// L2 as the packed copy would, and the copy is saved. 1 thread, alternating A/B: 128×256×784
// 154–168 → 193–205 GFLOP/s, 128×128×256 158–185 → 191–196; 1024² and 2048² (2–4 MiB blocks,
// strided reads from L3) lost 15% in place, 512² and the 784-row dW up to 10%: they stay packed.
constexpr size_t kInPlaceBMaxRows = 256;
constexpr size_t kInPlaceBBytes = size_t(512) << 10;

// Row tiles of that path: heights in units of 4 rows (of MR when MR is not a multiple of 4),
// at most MR, as even as possible, taller first: 64 rows with MR = 12 run as 12,12,12,12,8,8
// rather than five tiles of 12 and one of 4 (a 4-row tile runs at half the FMA rate).
struct RowTiles {
  size_t unit, units, tiles;
  RowTiles(size_t rows, size_t mr) {
    unit = mr % 4 == 0 ? 4 : mr;
    units = (rows + unit - 1) / unit;
    const size_t per = mr / unit;
    tiles = (units + per - 1) / per;
  }
  // First row of tile t (t = tiles: the end).
  size_t start(size_t t) const { return (units / tiles * t + std::min(t, units % tiles)) * unit; }
};

// One thread's rectangle [i0, i1) × [j0, j1) of C, serially.
void gemm_block(const KernelTable& t, const GemmArgs& g, size_t i0, size_t i1, size_t j0, size_t j1,
                const GemmWorkspace::Scratch& s) {
  const BlockSizes& bs = t.blocks;
  const size_t MR = static_cast<size_t>(bs.mr), NR = static_cast<size_t>(bs.nr);
  const size_t KC = block_k(t, g);
  const size_t rows = i1 - i0;
  const bool b_in_place =
      !g.trans_b && (rows <= kInPlaceBRows || (rows <= kInPlaceBMaxRows &&
                                               std::min(KC, g.k) * (j1 - j0) * sizeof(float) <= kInPlaceBBytes));
  // The workspace may hold less than a full MC×KC / KC×NC block when the problems are small.
  const size_t MC = std::max(MR, std::min<size_t>(static_cast<size_t>(bs.mc), s.a_cap / KC / MR * MR));
  const size_t NC = b_in_place ? j1 - j0
                               : std::max(NR, std::min<size_t>(static_cast<size_t>(bs.nc), s.b_cap / KC / NR * NR));
  const auto ukernel = t.f32_gemm_ukernel;
  const auto ukernel_ldb = t.f32_gemm_ukernel_ldb;
  const bool has_bias = g.epilogue != Epilogue::kNone;
  const bool relu = g.epilogue == Epilogue::kBiasRelu;

  for (size_t jc = j0; jc < j1; jc += NC) {
    const size_t nc = std::min(NC, j1 - jc);
    for (size_t pc = 0; pc < g.k; pc += KC) {
      const size_t kc = std::min(KC, g.k - pc);
      const bool last = pc + kc == g.k;
      const float beta = pc == 0 ? g.beta : 1.0f;
      const float* bias = last && has_bias ? g.bias : nullptr;
      const bool relu_now = last && relu;
      if (!b_in_place) pack_b(g.trans_b, g.b, g.ldb, pc, kc, jc, nc, bs.nr, s.b);
      for (size_t ic = i0; ic < i1; ic += MC) {
        const size_t mc = std::min(MC, i1 - ic);
        if (b_in_place) {
          // A packed tile by tile (each exactly its height), then the tiles under each B panel;
          // the kernel handles the edges. A transposed A already holds each k's row values side
          // by side, as the packed panel would: read in place (the weight gradients' Xᵀ·dZ).
          const RowTiles rt(mc, MR);
          const bool a_in_place = g.trans_a;
          if (!a_in_place) {
            for (size_t t = 0; t < rt.tiles; ++t) {
              const size_t r0 = rt.start(t), r1 = std::min(mc, rt.start(t + 1));
              pack_a(g.trans_a, g.a, g.lda, ic + r0, r1 - r0, pc, kc, static_cast<int>(r1 - r0), s.a + r0 * kc);
            }
          }
          for (size_t jr = 0; jr < nc; jr += NR) {
            const size_t nr = std::min(NR, nc - jr);
            const float* bp = g.b + pc * g.ldb + jc + jr;
            const float* biasp = bias ? bias + jc + jr : nullptr;
            for (size_t t = 0; t < rt.tiles; ++t) {
              const size_t r0 = rt.start(t), r1 = std::min(mc, rt.start(t + 1));
              const float* ap = a_in_place ? g.a + pc * g.lda + ic + r0 : s.a + r0 * kc;
              ukernel_ldb(r1 - r0, kc, ap, a_in_place ? g.lda : r1 - r0, bp, g.ldb, nr,
                          g.c + (ic + r0) * g.ldc + jc + jr, g.ldc, g.alpha, beta, biasp, relu_now);
            }
          }
          continue;
        }
        pack_a(g.trans_a, g.a, g.lda, ic, mc, pc, kc, bs.mr, s.a);
        for (size_t jr = 0; jr < nc; jr += NR) {
          const size_t nr = std::min(NR, nc - jr);
          const float* bp = s.b + jr * kc;
          const float* biasp = bias ? bias + jc + jr : nullptr;
          if (biasp && nr < NR) {
            std::memset(s.bias, 0, NR * sizeof(float));
            std::memcpy(s.bias, biasp, nr * sizeof(float));
            biasp = s.bias;
          }
          for (size_t ir = 0; ir < mc; ir += MR) {
            const size_t mr = std::min(MR, mc - ir);
            const float* ap = s.a + ir * kc;
            float* c = g.c + (ic + ir) * g.ldc + jc + jr;
            if (mr == MR && nr == NR) {
              ukernel(kc, ap, bp, c, g.ldc, g.alpha, beta, biasp, relu_now);
              continue;
            }
            // Edge tile: same arithmetic on a full-size tile buffer, valid part copied back.
            if (beta != 0.0f) {
              for (size_t i = 0; i < mr; ++i) std::memcpy(s.tile + i * NR, c + i * g.ldc, nr * sizeof(float));
            }
            ukernel(kc, ap, bp, s.tile, NR, g.alpha, beta, biasp, relu_now);
            for (size_t i = 0; i < mr; ++i) std::memcpy(c + i * g.ldc, s.tile + i * NR, nr * sizeof(float));
          }
        }
      }
    }
  }
}

// Operands read in place (kernels.inc, f32_gemm_direct), bitwise the packed path: used for a
// few rows (batch-1 inference and training: packing B would cost more than the product) and
// for narrow outputs (n <= 16, like a 10-class last layer, where a 32-wide micro-tile would
// be mostly padding). One kernel call per thread (the kernel picks its own row tiling); the
// threads get ranges of 16 rows, or of 64 columns when there are only a few rows.
constexpr size_t kNarrowCols = 16;
constexpr size_t kDirectFewRows = 4;

bool use_direct(const GemmArgs& g) {
  if (g.trans_b) return false;
  return g.m <= kDirectFewRows || g.n <= kNarrowCols;
}

void gemm_direct(const KernelTable& t, const GemmArgs& g, int nt, runtime::ThreadPool* pool) {
  const size_t kc = block_k(t, g);
  const bool relu = g.epilogue == Epilogue::kBiasRelu;
  const float* bias = g.epilogue != Epilogue::kNone ? g.bias : nullptr;
  const size_t ars = g.trans_a ? 1 : g.lda, acs = g.trans_a ? g.lda : 1;
  auto block = [&](size_t i0, size_t i1, size_t j0, size_t j1) {
    t.f32_gemm_direct(i1 - i0, j1 - j0, g.k, kc, g.a + i0 * ars, ars, acs, g.b + j0, g.ldb, g.c + i0 * g.ldc + j0, g.ldc,
                      g.alpha, g.beta, bias ? bias + j0 : nullptr, relu);
  };
  if (nt <= 1) {
    block(0, g.m, 0, g.n);
    return;
  }
  constexpr size_t kRowUnit = 16, kColUnit = 64;
  const bool by_rows = g.m > kDirectFewRows;
  const size_t units = by_rows ? (g.m + kRowUnit - 1) / kRowUnit : (g.n + kColUnit - 1) / kColUnit;
  nt = static_cast<int>(std::min<size_t>(static_cast<size_t>(nt), units));
  if (nt <= 1) {
    block(0, g.m, 0, g.n);
    return;
  }
  auto job = [&](int task, int ntasks, int /*slot*/) {
    const size_t u0 = units * static_cast<size_t>(task) / static_cast<size_t>(ntasks);
    const size_t u1 = units * static_cast<size_t>(task + 1) / static_cast<size_t>(ntasks);
    if (by_rows) {
      const size_t i0 = std::min(g.m, u0 * kRowUnit), i1 = std::min(g.m, u1 * kRowUnit);
      if (i0 < i1) block(i0, i1, 0, g.n);
    } else {
      const size_t j0 = std::min(g.n, u0 * kColUnit), j1 = std::min(g.n, u1 * kColUnit);
      if (j0 < j1) block(0, g.m, j0, j1);
    }
  };
  pool->run(nt, nt, job);
}

// Splits tm×tn tiles over at most nt threads as a pr×pc grid: least tiles per thread, then
// least packing (rows + columns per thread).
void choose_grid(size_t tm, size_t tn, int nt, int* pr_out, int* pc_out) {
  size_t best_work = ~size_t(0), best_pack = ~size_t(0);
  int best_pr = 1, best_pc = 1;
  for (int pr = 1; pr <= nt; ++pr) {
    const int pc = nt / pr;
    if (static_cast<size_t>(pr) > tm || static_cast<size_t>(pc) > tn || pc < 1) continue;
    const size_t rows = (tm + pr - 1) / pr, cols = (tn + pc - 1) / pc;
    const size_t work = rows * cols, pack = rows + cols;
    if (work < best_work || (work == best_work && pack < best_pack)) {
      best_work = work, best_pack = pack, best_pr = pr, best_pc = pc;
    }
  }
  *pr_out = best_pr;
  *pc_out = best_pc;
}

}  // namespace

void GemmWorkspace::reserve(const KernelTable& t, size_t max_m, size_t max_n, int threads) {
  const BlockSizes& bs = t.blocks;
  const size_t KC = static_cast<size_t>(bs.kc);
  const size_t mc = std::min<size_t>(static_cast<size_t>(bs.mc), round_up(std::max<size_t>(max_m, 1), bs.mr));
  const size_t nc = std::min<size_t>(static_cast<size_t>(bs.nc), round_up(std::max<size_t>(max_n, 1), bs.nr));
  a_cap_ = mc * KC;
  b_cap_ = nc * KC;
  const size_t line = runtime::kAlign / sizeof(float);
  stride_ = round_up(a_cap_, line) + round_up(b_cap_, line) + kTileFloats + round_up(kMaxNr, line);
  threads_ = std::max(1, threads);
  mem_.reset(stride_ * static_cast<size_t>(threads_));
}

GemmWorkspace::Scratch GemmWorkspace::scratch(int tid) const {
  const size_t line = runtime::kAlign / sizeof(float);
  float* base = mem_.data() + stride_ * static_cast<size_t>(tid);
  Scratch s;
  s.a = base;
  s.a_cap = a_cap_;
  s.b = s.a + round_up(a_cap_, line);
  s.b_cap = b_cap_;
  s.tile = s.b + round_up(b_cap_, line);
  s.bias = s.tile + kTileFloats;
  return s;
}

void gemm(const KernelTable& t, const GemmArgs& g, const GemmWorkspace& ws, runtime::ThreadPool* pool, int slot) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0 || g.alpha == 0.0f) {
    scale_only(g);
    return;
  }
  const size_t MR = static_cast<size_t>(t.blocks.mr), NR = static_cast<size_t>(t.blocks.nr);
  const size_t tm = (g.m + MR - 1) / MR, tn = (g.n + NR - 1) / NR;
  const double macs = static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  int nt = pool ? std::min(pool->size(), ws.threads()) : 1;
  nt = static_cast<int>(std::min<double>(nt, std::max(1.0, macs / kMinMacsPerThread)));
  if (use_direct(g)) {
    gemm_direct(t, g, nt, pool);
    return;
  }
  nt = static_cast<int>(std::min<size_t>(static_cast<size_t>(nt), tm * tn));
  if (nt <= 1) {
    gemm_block(t, g, 0, g.m, 0, g.n, ws.scratch(slot));
    return;
  }
  int pr, pc;
  choose_grid(tm, tn, nt, &pr, &pc);
  // One task per rectangle; whichever thread claims it packs with its own scratch (slot).
  auto job = [&](int task, int /*ntasks*/, int slot) {
    const size_t r = static_cast<size_t>(task / pc), c = static_cast<size_t>(task % pc);
    const size_t i0 = std::min(g.m, r * tm / pr * MR), i1 = std::min(g.m, (r + 1) * tm / pr * MR);
    const size_t j0 = std::min(g.n, c * tn / pc * NR), j1 = std::min(g.n, (c + 1) * tn / pc * NR);
    if (i0 < i1 && j0 < j1) gemm_block(t, g, i0, i1, j0, j1, ws.scratch(slot));
  };
  pool->run(pr * pc, ws.threads(), job);
}

}  // namespace dh::kernels
