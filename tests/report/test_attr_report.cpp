// The report folder's contents: CSV lines, the contact sheet's layout, the sweep's series.
#include "report/attr_report.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace idef {
namespace {

TEST(AttrReport, ItemsAndSummaryCsv) {
  std::vector<AttrPair> pairs{{"a,1.png", "m", "A0", 0.5, 0.25, true, 30, 0.9},
                              {"b.png", "m", "A1", 0.125, 0.0625, false, INFINITY, 1}};
  EXPECT_EQ(attr_items_csv(pairs),
            "image,forger,domain,l1,l2,disrupted,psnr,ssim\n"
            "\"a,1.png\",m,A0,0.5,0.25,1,30,0.9\n"
            "b.png,m,A1,0.125,0.0625,0,inf,1\n");
  AttrSummary s{"m", 2, 4, 1, 0.25, 0.5, 0.125, 31.5, 0.75};
  EXPECT_EQ(attr_summary_csv({s}), "forger,images,pairs,disrupted,dsr,l1,l2,psnr,ssim\nm,2,4,1,0.25,0.5,0.125,31.5,0.75\n");
}

TEST(AttrReport, ContactSheetHasARowPerFaceAndDomainAndSevenColumns) {
  KeptFace face;
  face.name = "x.png";
  face.clean = Rgb8(32, 32);
  face.protected_ = Rgb8(32, 32);
  for (int y = 8; y < 24; ++y)
    for (int x = 8; x < 24; ++x) face.protected_.at(x, y, 0) = 6;  // a block survives the resize to 16 px
  Forgeries f;
  f.clean = torch::zeros({2, 3, 16, 16});
  f.protected_ = torch::ones({2, 3, 16, 16}) * 0.5;
  f.domains = {"A0", "A1"};
  face.forgeries.push_back(f);
  Rgb8 sheet = attr_contact_sheet({face, face}, 0, "m");
  // Cells of 16 px are enlarged 6× to 96 px; 4 rows, 7 columns, 4 px gaps, plus labels.
  const int grid_w = 7 * 96 + 6 * 4, grid_h = 4 * 96 + 3 * 4;
  EXPECT_GT(sheet.width, grid_w);
  EXPECT_GT(sheet.height, grid_h);
  EXPECT_LT(sheet.width, grid_w + 300);
  EXPECT_LT(sheet.height, grid_h + 100);
  // The amplified perturbation reaches full range where x' differs: some pure red-channel 255.
  bool full = false, grey = false;
  for (int y = 0; y < sheet.height; ++y)
    for (int x = 0; x < sheet.width; ++x) {
      full |= sheet.at(x, y, 0) == 255 && sheet.at(x, y, 1) == 128;
      grey |= sheet.at(x, y, 0) == 128 && sheet.at(x, y, 1) == 128 && sheet.at(x, y, 2) == 128;
    }
  EXPECT_TRUE(full);
  EXPECT_TRUE(grey);
  EXPECT_THROW(attr_contact_sheet({}, 0, "m"), Error);
}

TEST(AttrReport, SweepCsvAndPlotSeriesPerMethodInEpsilonOrder) {
  auto row = [](const std::string& method, double eps, const std::string& forger, double psnr, double dsr) {
    SweepRow r;
    r.method = method;
    r.epsilon = eps;
    r.summary.forger = forger;
    r.summary.psnr = psnr;
    r.summary.dsr = dsr;
    return r;
  };
  std::vector<SweepRow> rows{row("noise", 0.05, "f1", 32, 0.0), row("noise", 0.01, "f1", 45, 0.0),
                             row("pgd", 0.01, "f1", 44, 0.5),   row("pgd", 0.05, "f1", 31, 1.0),
                             row("noise", 0.05, "f2", 32, 0.25), row("noise", 0.01, "f2", 45, 0.0)};
  std::string csv = sweep_csv(rows);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "method,epsilon,forger,images,pairs,psnr,ssim,l1,l2,dsr");
  EXPECT_NE(csv.find("\nnoise,0.05,f1,0,0,32,0,0,0,0\n"), std::string::npos) << csv;
  LinePlot dsr = sweep_dsr_plot(rows, "f2");
  ASSERT_EQ(dsr.series.size(), 1u);
  EXPECT_EQ(dsr.series[0].label, "noise");
  EXPECT_EQ(dsr.series[0].x, (std::vector<double>{0.01, 0.05}));
  EXPECT_EQ(dsr.series[0].y, (std::vector<double>{0, 25}));
  rows[4].summary.l2 = 0.002;
  LinePlot l2 = sweep_l2_plot(rows, "f2");
  ASSERT_EQ(l2.series.size(), 1u);
  EXPECT_EQ(l2.series[0].y, (std::vector<double>{0, 0.002}));
  LinePlot psnr = sweep_psnr_plot(rows);
  ASSERT_EQ(psnr.series.size(), 2u);
  EXPECT_EQ(psnr.series[1].label, "pgd");
  EXPECT_EQ(psnr.series[1].y, (std::vector<double>{44, 31}));
}

}  // namespace
}  // namespace idef
