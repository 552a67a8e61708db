// The report folder of `id-score attr` and `id-score sweep`: per-item and summary CSV,
// contact sheets of the first faces, the sweep table and its plots (Figure 4 of the paper:
// PSNR and DSR against ε, one line per method).
#pragma once
#include <string>
#include <vector>

#include "io/rgb8.h"
#include "metrics/attr_scoring.h"
#include "report/plot.h"

namespace idef {

// image,forger,domain,l1,l2,disrupted,psnr,ssim — one line per (image, forger, domain).
std::string attr_items_csv(const std::vector<AttrPair>& pairs);
// forger,images,pairs,disrupted,dsr,l1,l2,psnr,ssim — dsr as a share in [0, 1].
std::string attr_summary_csv(const std::vector<AttrSummary>& summaries);

// One row per (kept face, domain) of forger `forger_index`: clean, protected, the
// perturbation x' − x scaled so its largest |value| reaches full range (grey is 0), the
// forgeries of clean and protected, and the LBP maps of both forgeries. Cells are enlarged
// (nearest neighbour) to at least 96 px; a header names the columns and each row is
// labelled with the image and domain. Throws idef::Error when no face was kept.
Rgb8 attr_contact_sheet(const std::vector<KeptFace>& kept, std::size_t forger_index, const std::string& forger);

struct SweepRow {
  std::string method;
  double epsilon = 0;
  AttrSummary summary;  // of one forger
};
// method,epsilon,forger,images,pairs,psnr,ssim,l1,l2,dsr
std::string sweep_csv(const std::vector<SweepRow>& rows);
// PSNR (dB) of the protection against ε, one line per method (the protection does not
// depend on the forger, so one plot serves all; +inf points are left out).
LinePlot sweep_psnr_plot(const std::vector<SweepRow>& rows);
// DSR (%) against ε for one forger, one line per method.
LinePlot sweep_dsr_plot(const std::vector<SweepRow>& rows, const std::string& forger);
// Mean L2 between the forgeries of protected and clean faces against ε, one forger: it ranks
// the methods where every DSR is 0 (a forger that small perturbations cannot push past the
// threshold).
LinePlot sweep_l2_plot(const std::vector<SweepRow>& rows, const std::string& forger);

}  // namespace idef
