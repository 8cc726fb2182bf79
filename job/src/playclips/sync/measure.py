"""Pure numbers: where a reference window sits in an angle's audio, and the line through many.

`locate` cross-correlates with GCC-PHAT: the cross-spectrum is divided by its magnitude, so
every frequency band votes with equal weight and the peak is one sample wide whatever the
sound's colour (a crowd's rumble does not smear it; a far camera's duller microphone does not
bias it). Only 150 Hz .. 3.5 kHz votes: below, wind and handling noise; above, little that two
distant microphones share. The peak's position is refined to a fraction of a sample by a
parabola through its neighbours. Its clarity is the peak-to-sidelobe ratio: the peak over the
highest correlation more than 2 ms away from it.

`fit_line` fits angle time = a + b x reference time through the windows' matches, robustly:
least squares, then again without the matches further than a tolerance from the line, until
nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import RATE

BAND_HZ = (150.0, 3500.0)
_SIDELOBE_GAP_S = 0.002


@dataclass(frozen=True)
class Match:
    """Where a reference window was found in an angle's segment."""

    lag_s: float  # the window's start, seconds after the segment's start
    clarity: float  # peak-to-sidelobe ratio (1 = no peak stands out)


def fft_size(n_segment: int, n_window: int) -> int:
    """The FFT length `locate` uses: a power of two with room for every lag, no wrap-around."""
    return 1 << int(np.ceil(np.log2(n_segment + n_window)))


def locate(segment: np.ndarray, window: np.ndarray, spectrum: np.ndarray | None = None) -> Match:
    """Find `window` (reference audio) inside `segment` (angle audio, at least as long).

    Only lags where the window lies wholly inside the segment are considered. `spectrum` may
    carry `rfft(segment, fft_size(...))` when one segment is searched for several windows.
    """
    n_seg, n_win = len(segment), len(window)
    if n_seg < n_win:
        raise ValueError("the segment is shorter than the window")
    size = fft_size(n_seg, n_win)
    if spectrum is None:
        spectrum = np.fft.rfft(segment, size)
    cross = spectrum * np.conj(np.fft.rfft(window, size))
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    magnitude = np.abs(cross)
    floor = 1e-3 * (magnitude[band].mean() if band.any() else 0.0) + 1e-20
    cross = np.where(band, cross / (magnitude + floor), 0)
    corr = np.fft.irfft(cross, size)[: n_seg - n_win + 1]
    peak = int(np.argmax(corr))
    top = corr[peak]
    gap = round(_SIDELOBE_GAP_S * RATE)
    outside = np.concatenate([corr[: max(peak - gap, 0)], corr[peak + gap + 1 :]])
    side = float(np.max(np.abs(outside))) if len(outside) else 0.0
    clarity = float(top / side) if side > 0 else (float("inf") if top > 0 else 1.0)
    shift = 0.0
    if 0 < peak < len(corr) - 1:
        left, right = corr[peak - 1], corr[peak + 1]
        bend = left - 2 * top + right
        if bend < 0:
            shift = float(0.5 * (left - right) / bend)
    return Match(lag_s=(peak + shift) / RATE, clarity=clarity)


@dataclass(frozen=True)
class Line:
    """angle time = intercept + slope * reference time, and how well the points agree."""

    intercept: float
    slope: float
    inliers: int
    points: int
    residual_s: float  # RMS distance of the inliers from the line
    span_s: float  # reference time between the first and last inlier

    def at(self, t: float) -> float:
        return self.intercept + self.slope * t


def fit_line(
    x: np.ndarray, y: np.ndarray, tolerance_s: float, slope_prior: float = 1.0
) -> Line | None:
    """A robust fit of y = a + b x; None when fewer than one point agrees.

    With a single inlier (or inliers at one time) the slope is `slope_prior`.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if len(x) == 0:
        return None
    keep = np.ones(len(x), bool)
    # Start from the median of pairwise slopes (Theil-Sen) so a wild point cannot pull the
    # first line far enough to make good points look like outliers.
    slope, intercept = _theil_sen(x, y, slope_prior)
    for _ in range(10):
        keep_new = np.abs(y - (intercept + slope * x)) <= tolerance_s
        if not keep_new.any():
            return None
        keep = keep_new
        xs, ys = x[keep], y[keep]
        if np.ptp(xs) > 0:
            slope, intercept = np.polyfit(xs, ys, 1)
        else:
            slope = slope_prior
            intercept = float(np.mean(ys - slope * xs))
        if np.array_equal(keep, np.abs(y - (intercept + slope * x)) <= tolerance_s):
            break
    xs, ys = x[keep], y[keep]
    residual = float(np.sqrt(np.mean((ys - (intercept + slope * xs)) ** 2)))
    return Line(
        intercept=float(intercept),
        slope=float(slope),
        inliers=int(keep.sum()),
        points=len(x),
        residual_s=residual,
        span_s=float(np.ptp(xs)),
    )


def _theil_sen(x: np.ndarray, y: np.ndarray, slope_prior: float) -> tuple[float, float]:
    i, j = np.triu_indices(len(x), 1)
    dx = x[j] - x[i]
    ok = dx != 0
    slope = float(np.median((y[j] - y[i])[ok] / dx[ok])) if ok.any() else slope_prior
    return slope, float(np.median(y - slope * x))
