"""Every picture the tool writes, rendered and checked: report.html's two charts (hp-cli search with the local
executor and the fake trainer: measured, out-of-memory, time-limit and crashed trials) and pareto.svg (hp-cli
infer-search with a measured and an out-of-memory benchmark log; Python inference_search with a bound nothing
meets). Each SVG must parse and rasterize (cairosvg), no two texts may overlap (ink boxes measured with the
DejaVu Sans font the pictures ask for), every text lies inside the canvas, axes end just past the data and say
what the numbers are, the winner and every failure are marked.
Set HP_PICTURES_DIR to keep the PNGs for a look."""
import io
import math
import os
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

import bignlp_hp

if os.environ.get("CI"):  # CI installs the rasterizer (scripts/setup.sh): never skip there
    import cairosvg
    from PIL import Image, ImageFont
else:
    cairosvg = pytest.importorskip("cairosvg")
    Image = pytest.importorskip("PIL.Image")
    ImageFont = pytest.importorskip("PIL.ImageFont")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = os.path.join(ROOT, "tests", "fixtures", "fake_trainer.py")
NS = "{http://www.w3.org/2000/svg}"
FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts"]


def _font(bold, size):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in FONT_DIRS:
        if os.path.isfile(os.path.join(d, name)):
            return ImageFont.truetype(os.path.join(d, name), size)
    if os.environ.get("CI"):
        raise AssertionError(f"{name} not found (apt package fonts-dejavu-core)")
    pytest.skip(f"{name} not found")


def _num(v):
    return float(re.match(r"-?[\d.]+", v).group(0))


def text_boxes(root):
    """(text, (x0, y0, x1, y1), element) for every <text>: ink box of the glyphs, anchor and rotation applied."""
    base = float(root.get("font-size", "16"))
    out = []
    for t in root.iter(f"{NS}text"):
        s = "".join(t.itertext())
        if not s.strip():
            continue
        size = float(t.get("font-size", base))
        font = _font(t.get("font-weight") == "bold", round(size))
        x, y = float(t.get("x")), float(t.get("y"))
        w = font.getlength(s)
        left, top, right, bottom = font.getbbox(s, anchor="ls")
        shift = {"start": 0, "middle": -w / 2, "end": -w}[t.get("text-anchor", "start")]
        box = [x + shift + left, y + top, x + shift + right, y + bottom]
        rot = re.match(r"rotate\((-?[\d.]+) ([\d.]+) ([\d.]+)\)", t.get("transform", ""))
        if rot:
            a, cx, cy = math.radians(float(rot.group(1))), float(rot.group(2)), float(rot.group(3))
            pts = [(px, py) for px in (box[0], box[2]) for py in (box[1], box[3])]
            pts = [(cx + (px - cx) * math.cos(a) - (py - cy) * math.sin(a),
                    cy + (px - cx) * math.sin(a) + (py - cy) * math.cos(a)) for px, py in pts]
            box = [min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts)]
        out.append((s, box, t))
    return out


def check_svg(svg_text, name):
    """Parse, rasterize, check texts; returns (root, boxes)."""
    root = ET.fromstring(svg_text)
    assert root.tag == f"{NS}svg"
    width, height = float(root.get("width")), float(root.get("height"))
    png = cairosvg.svg2png(bytestring=svg_text.encode(), scale=1.5)
    keep = os.environ.get("HP_PICTURES_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
        with open(os.path.join(keep, name + ".png"), "wb") as f:
            f.write(png)
    img = Image.open(io.BytesIO(png)).convert("L")
    assert img.size == (round(width * 1.5), round(height * 1.5))
    inked = sum(img.histogram()[:200])  # pixels darker than light grey
    assert inked > 0.01 * img.size[0] * img.size[1], f"{name}: rendered almost blank"
    boxes = text_boxes(root)
    for s, (x0, y0, x1, y1), _ in boxes:
        assert x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height, f"{name}: {s!r} leaves the canvas"
    for i, (s, a, _) in enumerate(boxes):
        for u, b, _ in boxes[i + 1:]:
            ox = min(a[2], b[2]) - max(a[0], b[0])
            oy = min(a[3], b[3]) - max(a[1], b[1])
            assert ox <= 0.5 or oy <= 0.5, f"{name}: {s!r} overlaps {u!r} ({ox:.1f} x {oy:.1f} px)"
    return root, boxes


def texts_of(root, cls):
    return [("".join(t.itertext()), t) for t in root.iter(f"{NS}text") if cls in (t.get("class") or "").split()]


def assert_nice_end(top, data_max, what):
    assert data_max <= top <= 1.5 * data_max, f"{what}: axis ends at {top} for data up to {data_max}"


# ---------------------------------------------------------------------------------------------- report.html
@pytest.fixture(scope="module")
def training_report(cli, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pictures_train")
    text = open(os.path.join(ROOT, "tests", "data", "search", "local_fake.yaml")).read()
    cfg = tmp / "search.yaml"
    cfg.write_text(text.replace("@FAKE_TRAINER@", FAKE).replace("@RESULTS@", str(tmp / "results")))
    j = cli.json("search", cfg, "--executor", "local")
    assert j["run"]["num_measured"] == 3 and j["run"]["num_failed"] == 3
    trials = cli.json("collect", tmp / "results")["trials"]  # collect rewrites report.html from the logs
    return (tmp / "results" / "final_result" / "report.html").read_text(), trials


def charts(html):
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 2
    return svgs


def test_report_units_order_and_table(training_report):
    html, trials = training_report
    assert not re.search(r"\bGB\b", html), "binary sizes are GiB everywhere"
    assert "GiB" in html
    rows = re.findall(r"<tr class=\"(\w+)\"><td class=\"num\">(\d+)</td><td>([^<]+)</td>", html)
    assert [r[1] for r in rows] == [str(i) for i in range(1, 7)]
    assert [r[0] for r in rows] == ["winner", "measured", "measured", "failed", "failed", "failed"]
    # measured fastest first, then the failed ones by predicted step time
    expected = sorted(trials, key=lambda t: (not t["measured"], t["step_time_s"] if t["measured"]
                                             else t["predicted_step_time_s"]))
    names = [r[2] for r in rows]
    assert names == [t["config_name"] for t in expected]
    assert names != sorted(names), "trials are in speed order, not alphabetical"
    for kind in ("out of memory (cuda_oom)", "time limit (time_limit)", "trainer exited with an error (nonzero_exit)"):
        assert f"failed: {kind}" in html


def test_report_step_time_chart(training_report):
    html, _ = training_report
    root, boxes = check_svg(charts(html)[0], "report_step_time")
    assert any(s == "time per step [s]" for s, _, _ in boxes)  # x axis title with its unit
    labels = [s for s, _ in texts_of(root, "trial")]
    assert [int(s.split(".")[0]) for s in labels] == list(range(1, 7))
    values = texts_of(root, "value")
    measured = [_num(s) for s, _ in values if "s measured" in s]
    assert measured == sorted(measured) and len(measured) == 3  # fastest measured first
    ticks = [_num(s) for s, _ in texts_of(root, "xtick")]
    assert ticks[0] == 0 and ticks == sorted(ticks)
    assert_nice_end(ticks[-1], max(_num(s) for s, _ in values if not s.startswith("failed")), "step time axis")
    # bars are drawn to the axis' scale: the winner's measured bar
    xt = [t for _, t in texts_of(root, "xtick")]
    x0, x1 = float(xt[0].get("x")), float(xt[-1].get("x"))
    bars = [r for r in root.iter(f"{NS}rect") if r.get("class") == "measured"]
    assert abs(float(bars[0].get("width")) / (x1 - x0) * ticks[-1] - measured[0]) < 0.01 * measured[0]
    # the winner: highlighted row holding label 1 and the "fastest measured" value
    win = [r for r in root.iter(f"{NS}rect") if r.get("class") == "winner"]
    assert len(win) == 1
    wy0, wy1 = float(win[0].get("y")), float(win[0].get("y")) + float(win[0].get("height"))
    inside = [s for s, b, _ in boxes if wy0 <= (b[1] + b[3]) / 2 <= wy1]
    assert any(s.startswith("1. ") for s in inside) and any("fastest measured" in s for s in inside)
    # every failed trial: a red cross on its row, next to its reason
    marks = [p for p in root.iter(f"{NS}path") if p.get("class") == "failure-marker"]
    failed = [(s, t) for s, t in values if s.startswith("failed: ")]
    assert len(failed) == 3 and len(marks) == 3
    for s, t in failed:
        y = float(t.get("y"))
        assert any(abs(_num(m.get("d")[1:].split(",")[1]) + 5 - (y - 4.5)) < 6 for m in marks), s
    assert any("out of memory (cuda_oom)" in s for s, _ in failed)


def test_report_memory_chart(training_report):
    html, _ = training_report
    root, boxes = check_svg(charts(html)[1], "report_memory")
    assert any(s == "memory per GPU [GiB]" for s, _, _ in boxes)
    cap = [s for s, _, _ in boxes if "capacity" in s]
    assert cap == ["a100-80gb capacity 80 GiB"]
    ticks = [_num(s) for s, _ in texts_of(root, "xtick")]
    values = [s for s, _ in texts_of(root, "value")]
    top_value = max([80.0] + [_num(v) for v in values])
    assert_nice_end(ticks[-1], top_value, "memory axis")
    assert "fastest measured" in values[0]
    oom = [s for s in values if "failed: out of memory (cuda_oom)" in s]
    assert len(oom) == 1 and len([p for p in root.iter(f"{NS}path") if p.get("class") == "failure-marker"]) == 1
    assert len([ln for ln in root.iter(f"{NS}line") if ln.get("class") == "measured-memory"]) == 4


def test_report_every_trial_failed_renders(cli, tmp_path):
    text = open(os.path.join(ROOT, "tests", "data", "search", "local_fake.yaml")).read()
    text = text.replace("@FAKE_TRAINER@", FAKE).replace("@RESULTS@", str(tmp_path / "results"))
    cfg = tmp_path / "search.yaml"
    cfg.write_text(text.replace("--max-steps {max_steps}", "--max-steps {max_steps} --behave gpt3=crash"))
    assert cli.run("search", cfg, "--executor", "local").returncode == 7
    html = (tmp_path / "results" / "final_result" / "report.html").read_text()
    assert "No trial was measured" in html
    step, memory = charts(html)
    root, _ = check_svg(step, "report_all_failed_step_time")
    assert len([p for p in root.iter(f"{NS}path") if p.get("class") == "failure-marker"]) == 6
    assert not any(r.get("class") == "winner" for r in root.iter(f"{NS}rect"))
    check_svg(memory, "report_all_failed_memory")


# ------------------------------------------------------------------------------------------------ pareto.svg
def pareto_points(root):
    pts = []
    for g in root.iter(f"{NS}g"):
        cls = (g.get("class") or "").split()
        if "pt" not in cls:
            continue
        title = g.find(f"{NS}title").text
        m = re.search(r"TP (\d+) PP (\d+) BS (\d+).*: \w+ ([\d.]+) ms, ([\d.]+) samples/s/GPU", title)
        pts.append({"kind": cls[1], "bound": cls[2], "tp": int(m.group(1)), "pp": int(m.group(2)),
                    "bs": int(m.group(3)), "ms": float(m.group(4)), "thr": float(m.group(5)), "mark": g[0]})
    return pts


def mark_xy(mark):
    if mark.tag == f"{NS}circle":
        return float(mark.get("cx")), float(mark.get("cy"))
    if mark.tag == f"{NS}rect":
        return float(mark.get("x")) + 4.5, float(mark.get("y")) + 4.5
    x, y = (float(v) for v in re.match(r"M([\d.]+),([\d.]+)", mark.get("d")).groups())
    return x + 5, y + 5


def check_pareto(svg_text, name, rows, bound_ms):
    root, boxes = check_svg(svg_text, name)
    texts = [s for s, _, _ in boxes]
    assert "latency of the batch [ms] (log scale)" in texts and "throughput per GPU [samples/s/GPU]" in texts
    pts = pareto_points(root)
    fits = [r for r in rows if r["Fits"] == "true"]
    assert len(pts) == len(fits)  # every fitting layout, and only those
    no_fit = len(rows) - len(fits)
    if no_fit:
        assert any(t.startswith(f"not drawn: {no_fit} layout") for t in texts)
    # encoding: shape = source, colour = bound; a failed benchmark is a red cross, never a "fits" mark
    for p in pts:
        tag = p["mark"].tag
        if p["kind"] == "predicted":
            assert tag == f"{NS}circle"
        elif p["kind"] == "measured":
            assert tag == f"{NS}rect"
        else:
            assert tag == f"{NS}path" and p["mark"].get("stroke") == "#d62728" and p["bound"] == "over"
        if p["kind"] != "failed":
            assert p["mark"].get("fill") == ("#1f77b4" if p["bound"] == "within" else "#8c8c8c")
        if p["bound"] == "over" and p["kind"] != "failed" and bound_ms:
            assert p["ms"] > bound_ms
    for legend in ("predicted, within the bound", "predicted, over the bound", "measured, within the bound",
                   "measured, over the bound", "benchmark failed (at its prediction)", "Pareto front",
                   "best under the bound"):
        assert legend in texts
    # axes: log x between "nice" ends just around the data (and the bound), y from 0 just past the maximum
    xt = sorted((_num(s), float(t.get("x"))) for s, t in texts_of(root, "xtick"))
    lo, hi = xt[0], xt[-1]
    data_max = max([p["ms"] for p in pts] + ([bound_ms] if bound_ms else []))
    data_min = min([p["ms"] for p in pts] + ([bound_ms] if bound_ms else []))
    assert_nice_end(hi[0], data_max, "latency axis")
    assert data_min / 1.5 <= lo[0] <= data_min
    yt = sorted((_num(s), float(t.get("y"))) for s, t in texts_of(root, "ytick"))
    assert yt[0][0] == 0
    assert_nice_end(yt[-1][0], max(p["thr"] for p in pts), "throughput axis")
    for p in pts:  # each mark where its numbers say (labels are truthful)
        x, y = mark_xy(p["mark"])
        fx = (math.log10(p["ms"]) - math.log10(lo[0])) / (math.log10(hi[0]) - math.log10(lo[0]))
        assert abs(x - (lo[1] + fx * (hi[1] - lo[1]))) < 1.5
        fy = p["thr"] / yt[-1][0]
        assert abs((y + 4) - (yt[0][1] + fy * (yt[-1][1] - yt[0][1]))) < 1.5
    # y tick labels keep clear of the rotated axis title (overlap is checked above; here: a real gap)
    title = next(b for s, b, _ in boxes if s.startswith("throughput per GPU"))
    assert all(b[0] - title[2] >= 6 for _, b, t in boxes if t.get("class") == "ytick")
    return root, pts


def read_rows(csv_path):
    lines = csv_path.read_text().splitlines()
    header = lines[0].split(",")
    return [dict(zip(header, ln.split(","))) for ln in lines[1:]]


def test_pareto_cli_measured_and_failed(cli, tmp_path):
    example = os.path.join(ROOT, "examples", "inference", "gpt3_5b.yaml")
    out = tmp_path / "res"
    top = cli.json("infer-search", example, "--results-dir", out)["top"]
    data = os.path.join(ROOT, "tests", "data", "inference")
    for t, log in ((top[0], "ft_ok.log"), (top[1], "ft_oom.log")):
        shutil.copy(os.path.join(data, log), out / "inference" / f"gpt3_5b_tp{t['tp']}_pp{t['pp']}_bs{t['batch_size']}" / "bench.log")
    best = cli.json("infer-search", example, "--results-dir", out)["best"]
    summary = out / "inference" / "final_summary"
    rows = read_rows(summary / "final_output.csv")
    root, pts = check_pareto((summary / "pareto.svg").read_text(), "pareto_cli", rows, 1200)
    kinds = sorted(p["kind"] for p in pts if p["kind"] != "predicted")
    assert kinds == ["failed", "measured"]
    assert any("failed: out_of_memory x1" == s for s, _ in texts_of(root, "note"))
    ring = root.find(f"{NS}circle[@class='best']")
    at = [p for p in pts if (p["tp"], p["pp"], p["bs"]) == (best["tp"], best["pp"], best["batch_size"])]
    assert len(at) == 1 and at[0]["bound"] == "within"
    x, y = mark_xy(at[0]["mark"])
    assert abs(float(ring.get("cx")) - x) < 1 and abs(float(ring.get("cy")) - y) < 1
    front = root.find(f"{NS}polyline[@class='front']")
    assert front is not None and front.get("stroke") == "#ff7f0e"
    assert all(p["mark"].get("fill") != "#ff7f0e" for p in pts)  # orange is the front line, never a point


def test_pareto_python_nothing_within_the_bound(tmp_path):
    r = bignlp_hp.inference_search(model="gpt3/5b", gpu="h100-sxm", max_latency_ms=5, results_dir=str(tmp_path))
    assert r.best is None
    svg_path = os.path.join(r.summary_dir, "pareto.svg")
    assert open(svg_path).read() == r.svg
    rows = read_rows(tmp_path / "inference" / "final_summary" / "final_output.csv")
    root, pts = check_pareto(r.svg, "pareto_python_no_best", rows, 5)
    assert all(p["bound"] == "over" for p in pts)
    assert root.find(f"{NS}circle[@class='best']") is None
    assert any(s == "no layout within the bound" for s, _ in texts_of(root, "note"))
