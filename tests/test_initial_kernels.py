"""The compiled kernels of the first population and of new cadres, against numpy's readings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import draws as stack_draws
from sim.model.draws import binomial_draws, draw_binomial
from sim.model.stacking import Runs


# --- binomial draws ------------------------------------------------------------------------
def _inversion(trials: int, p: float, uniforms: list[float]) -> int:
    """numpy's ``random_binomial`` by inversion for one row, reading ``uniforms`` (popped)."""
    if trials == 0 or p == 0.0:
        return 0
    flip = p > 0.5
    if flip:
        p = 1.0 - p
    q = 1.0 - p
    qn = math.exp(trials * math.log(q))
    mean = trials * p
    bound = int(min(trials, mean + 10.0 * math.sqrt(mean * q + 1)))
    x, px, u = 0, qn, uniforms.pop(0)
    while u > px:
        x += 1
        if x > bound:
            x, px, u = 0, qn, uniforms.pop(0)
        else:
            u -= px
            px = ((trials - x + 1) * p * px) / (x * q)
    return trials - x if flip else x


def _chances(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chances with zeros, ones, halves, tiny and near-half values among uniform ones."""
    p = rng.random(n)
    p[rng.random(n) < 0.05] = 0.0
    p[rng.random(n) < 0.02] = 1.0
    p[rng.random(n) < 0.02] = 0.5
    tiny = rng.random(n) < 0.05
    p[tiny] = rng.random(tiny.sum()) * 1e-12
    near = rng.random(n) < 0.05
    p[near] = 0.5 + (rng.random(near.sum()) - 0.5) * 1e-9
    near = rng.random(n) < 0.02
    p[near] = np.nextafter(0.5, rng.choice([0.0, 1.0], near.sum()))
    return p


@pytest.mark.parametrize("trials", [12, 0, 1, 2, 5, 11, 40, 60, 64, 65])
def test_binomial_draws_are_numpys_with_the_same_generator_state(trials: int) -> None:
    source = np.random.default_rng(trials)
    for seed in range(20):
        p = _chances(source, int(source.integers(0, 3000)))
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        got = binomial_draws(ours, trials, p)
        want = theirs.binomial(trials, p)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        assert ours.bit_generator.state == theirs.bit_generator.state


def test_a_million_binomial_draws_of_twelve_are_numpys() -> None:
    p = np.random.default_rng(3).random(1_000_000)
    got = binomial_draws(np.random.default_rng(4), 12, p)
    np.testing.assert_array_equal(got, np.random.default_rng(4).binomial(12, p))


@pytest.mark.parametrize(
    "trials, p",
    [
        (100, np.full(50, 0.4)),  # BTPE
        (12, np.array([0.2, np.nan])),
        (12, np.array([0.2, 1.5])),
        (12, np.array([-0.1, 0.2])),
        (-1, np.array([0.2])),
        (np.int64(12), np.array([[0.2, 0.7], [0.0, 1.0]])),
        (12, 0.3),
        (12, np.array([], dtype=np.float64)),
        (12, [0.2, 0.9]),
        (True, np.array([0.2, 0.9])),
        (12.0, np.array([0.2, 0.9])),
    ],
)
def test_binomial_draws_leave_the_rest_to_numpy(trials: int, p: np.ndarray) -> None:
    ours, theirs = np.random.default_rng(1), np.random.default_rng(1)
    try:
        want = theirs.binomial(trials, p)
    except ValueError:
        with pytest.raises(ValueError):
            binomial_draws(ours, trials, p)
        return
    got = binomial_draws(ours, trials, p)
    assert type(got) is type(want) and np.shape(got) == np.shape(want)
    np.testing.assert_array_equal(got, want)
    assert ours.bit_generator.state == theirs.bit_generator.state


def _restarting_chance(trials: int, u: float) -> float:
    """A chance whose inversion from ``u`` passes its bound (numpy would restart)."""
    for p in np.random.default_rng(0).random(100_000) * 0.5:
        try:
            _inversion(trials, float(p), [u])
        except IndexError:  # it wanted another number
            return float(p)
    raise AssertionError("no restarting chance found")


def test_a_restarted_inversion_takes_the_next_numbers() -> None:
    top = float(np.nextafter(1.0, 0.0))
    p0 = _restarting_chance(12, top)
    p = np.array([0.3, p0, 0.0, 0.6, p0, 0.2])
    uniforms = [0.5, top, 0.25, 0.7, top, top, 0.1, 0.9]
    want = [_inversion(12, float(c), uniforms) for c in p]
    assert not uniforms
    out = np.empty(p.size, dtype=np.int64)
    given = np.array([0.5, top, 0.25, 0.7, top])  # one number per drawing row
    start = stack_draws._inversions(12, p, 0, p.size, given, 0, given.size, out)
    assert start == 4  # row 4 restarted after the last number
    more = np.array([top, 0.1, 0.9])
    assert stack_draws._inversions(12, p, start, p.size, more, 0, 3, out) == p.size
    np.testing.assert_array_equal(out, want)
    assert stack_draws._binomial_uniforms(12, p) == 5


def _thresholds(trials: int, p: float) -> list[float]:
    """The running sums of numpy's binomial probabilities: where the count steps up."""
    q = 1.0 - p
    px = math.exp(trials * math.log(q))
    total, sums = 0.0, []
    for x in range(1, trials + 1):
        total += px
        sums.append(total)
        px = ((trials - x + 1) * p * px) / (x * q)
    return sums


@pytest.mark.parametrize("trials", [12, 3, 64])
def test_numbers_at_the_steps_of_the_count_are_inverted_as_numpy_does(trials: int) -> None:
    # uniform numbers within a few roundings of where the count steps up: the screen must
    # leave these to numpy's arithmetic
    rng = np.random.default_rng(trials)
    chances, numbers = [], []
    for p in rng.random(300) * min(0.5, 30 / trials):
        for step in _thresholds(trials, float(p))[:10]:
            for ulps in (-3, -1, 0, 1, 3):
                u = step + ulps * np.spacing(step)
                if 0.0 <= u < 1.0:
                    chances.append(float(p))
                    numbers.append(float(u))
    chances_, numbers_ = np.array(chances), np.array(numbers)
    for flip in (False, True):
        p = 1.0 - chances_ if flip else chances_
        kept = (p > 0.0) & (np.minimum(p, 1.0 - p) * trials <= 30.0)
        p, u = p[kept], numbers_[kept]
        want = []
        for c, v in zip(p, u, strict=True):
            try:
                want.append(_inversion(trials, float(c), [float(v)]))
            except IndexError:  # a restart: not this test's concern
                want.append(-1)
        got = np.empty(p.size, dtype=np.int64)
        good = np.array(want) >= 0
        p, u = np.ascontiguousarray(p[good]), np.ascontiguousarray(u[good])
        assert stack_draws._inversions(trials, p, 0, p.size, u, 0, u.size, got[: p.size]) == p.size
        np.testing.assert_array_equal(got[: p.size], np.array(want)[good])


@pytest.mark.parametrize("trials", [12, 100])
def test_drawn_binomials_of_a_stack_are_each_runs_own(trials: int) -> None:
    runs = Runs.stacked(3, 500, 4)
    p = _chances(np.random.default_rng(9), runs.rows)
    ours = [np.random.default_rng(s) for s in range(3)]
    theirs = [np.random.default_rng(s) for s in range(3)]
    got = draw_binomial(runs, ours, trials, p)
    want = [rng.binomial(trials, p[runs.bounds(s)]) for s, rng in enumerate(theirs)]
    np.testing.assert_array_equal(got, np.concatenate(want))
    for a, b in zip(ours, theirs, strict=True):
        assert a.bit_generator.state == b.bit_generator.state


def test_a_run_that_restarts_at_its_last_number_goes_on_drawing() -> None:
    # the first generator's number for the last row of run 0 is forced past the bound
    top = float(np.nextafter(1.0, 0.0))
    p0 = _restarting_chance(12, top)

    class Forced(np.random.Generator):
        """A generator whose first numbers are given (then its own)."""

        def __init__(self, seed: int, first: list[float]) -> None:
            super().__init__(np.random.PCG64(seed))
            self.first = first

        def random(self, size=None, dtype=np.float64, out=None):  # type: ignore[override]
            values = super().random(size, dtype, out)
            n = min(len(self.first), values.size)
            values.reshape(-1)[:n] = self.first[:n]
            del self.first[:n]
            return values

    runs = Runs.stacked(2, 4, 1)
    p = np.array([0.2, 0.0, 0.7, p0, 0.3, 0.3, 0.1, 0.9])
    forced = Forced(1, [0.1, 0.2, top, top])
    got = draw_binomial(runs, [forced, Forced(2, [])], 12, p)
    numbers = [0.1, 0.2, top, top, *np.random.Generator(np.random.PCG64(1)).random(5)[4:]]
    want = [_inversion(12, float(c), numbers) for c in p[:4]]  # row 3 restarts twice
    assert not numbers
    np.testing.assert_array_equal(got[:4], want)
    again = np.random.Generator(np.random.PCG64(1))
    again.random(5)
    assert forced.bit_generator.state == again.bit_generator.state
    np.testing.assert_array_equal(
        got[4:], np.random.Generator(np.random.PCG64(2)).binomial(12, p[4:])
    )


class _Replaced(np.random.Generator):
    """A PCG64 generator whose ``n``-th number drawn by ``random`` is ``numbers[n]``, if given."""

    def __init__(self, seed: int, numbers: dict[int, float]) -> None:
        super().__init__(np.random.PCG64(seed))
        self.numbers, self.drawn = numbers, 0

    def random(self, size=None, dtype=np.float64, out=None):  # type: ignore[override]
        values = super().random(size, dtype, out)
        flat = values.reshape(-1)
        for n in range(self.drawn, self.drawn + flat.size):
            if n in self.numbers:
                flat[n - self.drawn] = self.numbers[n]
        self.drawn += flat.size
        return values


@pytest.mark.parametrize("runs_count", [1, 3])
def test_restarts_across_blocks_are_numpys(runs_count: int) -> None:
    top = float(np.nextafter(1.0, 0.0))
    p0 = _restarting_chance(12, top)
    size = 2000
    rng = np.random.default_rng(5)
    p = np.where(rng.random(size * runs_count) < 0.5, p0, 1.0 - p0)
    p[rng.random(p.size) < 0.05] = 0.0
    at = [0, 5, 511, 512, 513, 1030, 1500, 1501, 1502, 1503]  # restarts, some in a row
    tops = {n: top for n in at}
    runs = Runs.stacked(runs_count, size, 1)
    gens = [_Replaced(10 + r, dict(tops)) for r in range(runs_count)]
    got = draw_binomial(runs, gens, 12, p)
    for r in range(runs_count):
        rows = p[runs.bounds(r)]
        drawing = np.count_nonzero(rows)
        stream = np.random.Generator(np.random.PCG64(10 + r)).random(drawing + len(at))
        stream[at] = top
        numbers = list(stream)
        want = [_inversion(12, float(c), numbers) for c in rows]
        assert not numbers  # every number read, no more
        np.testing.assert_array_equal(got[runs.bounds(r)], want)
        assert gens[r].drawn == drawing + len(at)


# --- a stack of initialised runs to test on ---------------------------------------------
_SETTINGS = [
    {},
    {"accusation.false_report_rate": 0.05, "fault_tolerance.coverage": 0.8},
    {
        "discipline.severity": 17.0,
        "discipline.misconduct_rate": 0.01,
        "behaviour.learning_own": 0.0,
        "behaviour.learning_peer": 0.0,
        "behaviour.learning_public": 0.0,
    },
    {"accusation.visibility_active": 2.0, "behaviour.learning_peer": 0.0},
]


def _stack(settings: list[dict], size: int = 150, seed: int = 0):
    """An initialised stack of runs with ``settings``, some rows vacated, states shuffled."""
    from sim.model.processes import initial, reports
    from sim.model.stacking import RunParams, stacked_organisation
    from sim.model.state import Population, build_organisation
    from sim.parameters.values import Params

    params = [Params.from_values({"workforce.population": size} | extra) for extra in settings]
    first = params[0]
    org0 = build_organisation(size, first.workforce.levels, first.career.span)
    runs = Runs.stacked(len(params), org0.n_posts, org0.n_units)
    org = stacked_organisation(org0, runs.count)
    pop = Population.empty(runs.rows)
    prm = RunParams(params, runs) if runs.count > 1 else first
    deterrence = [
        reports.deterrence_target(q.crackdown.trace_probability, q.clarification.typical_cases)
        for q in params
    ]
    rngs = [np.random.default_rng(seed + r) for r in range(runs.count)]
    initial.initialise_population(pop, org, runs, prm, deterrence, rngs)
    rng = np.random.default_rng(seed + 99)
    pop.alive[rng.random(runs.rows) < 0.1] = False
    pop.state[:] = rng.integers(0, 3, runs.rows)
    return pop, org, runs, prm, deterrence


def _copy(pop):
    """A copy of a population."""
    from dataclasses import fields

    from sim.model.state import Population

    return Population(**{f.name: getattr(pop, f.name).copy() for f in fields(Population)})


# --- the discipline record of the career replay -------------------------------------------
def _relax(values: np.ndarray, target, kept) -> None:
    np.subtract(values, target, out=values)
    np.multiply(values, kept, out=values)
    np.add(values, target, out=values)


def _discipline_reference(pop, org, runs, params, p, month, deterrence, rngs):
    """replay_discipline in numpy, as it read before its kernel."""
    from sim.model.constants import MILD_EROSION, MISTAKE_EXPOSURE, REPUTATION_BASELINE
    from sim.model.draws import draw_uniform
    from sim.model.kinds import CaseKind
    from sim.model.processes.reports import report_exposure, report_hazard, visibility
    from sim.model.processes.stakes import rank_factor, removal_probability
    from sim.model.stacking import (
        at_rows,
        mixed,
        params_of,
        per_run_value,
        workloads,
    )

    def value(of):
        return per_run_value(runs, params, of)

    accusation, behaviour = params.accusation, params.behaviour
    alive = pop.alive
    level = org.post_level[pop.post]
    mistakes = (
        behaviour.mistake_rate
        * workloads(pop, runs)
        * mixed(p, [MISTAKE_EXPOSURE] * runs.count)
        * rank_factor(level, params.discipline.accountability)
        * accusation.mistake_report_prob
    )
    visibilities = [
        visibility(params_of(params, r).accusation.visibility_active) for r in range(runs.count)
    ]
    false = report_hazard(
        visible=mixed(p, visibilities) * report_exposure(pop, org, params),
        ability=pop.ability,
        alive=alive,
        base_rate=accusation.false_report_rate,
        deterrence=runs.per_row(list(deterrence)),
        deterrence_strength=params.crackdown.deterrence_strength,
        rival_share=accusation.rival_share,
        runs=runs,
    )
    accuracy = accusation.investigation_accuracy
    draws = draw_uniform(runs, rngs, 9)
    falsely_accused = alive & (draws[0] < 1.0 - (1.0 - false) ** 12)
    mistaken = alive & (draws[1] < 1.0 - (1.0 - mistakes) ** 12)
    yearly = value(lambda q: 1.0 - (1.0 - q.discipline.misconduct_rate) ** 12)
    misbehaved = alive & (draws[2] < yearly)
    wrongful = falsely_accused & (draws[3] >= accuracy)
    exempt = value(lambda q: q.fault_tolerance.coverage * q.fault_tolerance.credibility)
    mistake_sanctioned = mistaken & (draws[4] >= exempt)
    sanctioned = wrongful | mistake_sanctioned | (misbehaved & (draws[5] < accuracy))
    had_case = falsely_accused | mistaken | misbehaved
    kept = value(lambda q: 1.0 - q.accusation.reputation_damage)
    harm = value(lambda q: q.accusation.investigation_harm * q.accusation.investigation_months)
    rep_half = value(lambda q: (1.0 - q.behaviour.reputation_recovery) ** 6)
    ideal_half = value(lambda q: (1.0 - q.behaviour.idealism_recovery) ** 6)
    _relax(pop.reputation, REPUTATION_BASELINE, rep_half)
    pop.reputation[had_case] = np.maximum(
        pop.reputation[had_case] * at_rows(kept, had_case) - at_rows(harm, had_case), 0.0
    )
    pop.reputation[sanctioned] *= at_rows(kept, sanctioned)
    _relax(pop.reputation, REPUTATION_BASELINE, rep_half)
    _relax(pop.idealism, pop.idealism_base, ideal_half)
    accused = falsely_accused | mistake_sanctioned
    mild = value(lambda q: 1.0 - MILD_EROSION * q.behaviour.idealism_erosion)
    pop.idealism[accused] *= at_rows(mild, accused)
    eroded = value(lambda q: 1.0 - q.behaviour.idealism_erosion)
    pop.idealism[wrongful] *= at_rows(eroded, wrongful)
    _relax(pop.idealism, pop.idealism_base, ideal_half)
    barred = value(lambda q: int(round(q.discipline.severity)))
    verdict = month - np.floor(12.0 * draws[6]).astype(np.int64)
    pop.punished_until[sanctioned] = np.maximum(
        pop.punished_until[sanctioned], verdict[sanctioned] + at_rows(barred, sanctioned)
    )
    removal = value(lambda q: float(removal_probability(q.discipline.severity)))
    removed = sanctioned & (level >= 1) & (draws[7] < removal)
    pop.removal_pending[removed] = True
    cases = mistakes + false + params.discipline.misconduct_rate
    investigated = np.flatnonzero(
        alive & (draws[8] < np.minimum(cases * accusation.investigation_months, 1.0))
    )
    pop.case_kind[investigated] = int(CaseKind.FALSE_REPORT)
    return investigated


@pytest.mark.parametrize("settings", [_SETTINGS, _SETTINGS[1:2], [_SETTINGS[2]] * 3])
def test_replayed_discipline_is_its_numpy_reading(settings: list[dict]) -> None:
    from dataclasses import fields

    from sim.model.processes.replay import replay_discipline
    from sim.model.stacking import state_mix

    pop, org, runs, prm, deterrence = _stack(settings, seed=len(settings))
    expected = _copy(pop)
    rng = np.random.default_rng(7)
    e = rng.random((3, runs.rows))
    p = state_mix(e / e.sum(axis=0), runs)
    ours = [np.random.default_rng(40 + r) for r in range(runs.count)]
    theirs = [np.random.default_rng(40 + r) for r in range(runs.count)]
    got = replay_discipline(pop, org, runs, prm, p, -96, deterrence, ours)
    want = _discipline_reference(expected, org, runs, prm, p, -96, deterrence, theirs)
    np.testing.assert_array_equal(got, want)
    assert want.size  # some cases were open
    for f in fields(type(pop)):
        assert getattr(pop, f.name).tobytes() == getattr(expected, f.name).tobytes(), f.name
    for a, b in zip(ours, theirs, strict=True):
        assert a.bit_generator.state == b.bit_generator.state
    assert expected.removal_pending.any() or len(settings) == 1


def test_uniform_blocks_are_the_uniforms_of_each_run() -> None:
    from sim.model.draws import draw_uniform, draw_uniform_blocks

    for count in (1, 3):
        runs = Runs.stacked(count, 40, 2)
        blocks = draw_uniform_blocks(runs, [np.random.default_rng(s) for s in range(count)], 9)
        flat = draw_uniform(runs, [np.random.default_rng(s) for s in range(count)], 9)
        assert blocks.shape == (count, 9, 40)
        for r in range(count):
            np.testing.assert_array_equal(blocks[r], flat[:, runs.bounds(r)])


# --- the learned false-report rate ------------------------------------------------------
def _learned_reference(pop, org, params, deterrence, runs):
    """learned_false_report_rate in numpy, as it read before its kernel."""
    from sim.model.processes.reports import false_report_intensity, report_exposure

    accusation, behaviour = params.accusation, params.behaviour
    alive = pop.alive
    vis = np.empty(alive.size)
    lam = false_report_intensity(
        state=pop.state,
        ability=pop.ability,
        alive=alive,
        exposure=report_exposure(pop, org, params),
        base_rate=accusation.false_report_rate,
        deterrence=runs.per_row(list(deterrence)),
        deterrence_strength=params.crackdown.deterrence_strength,
        visibility_active=accusation.visibility_active,
        rival_share=accusation.rival_share,
        runs=runs,
        weights=(vis, np.empty(alive.size)),
    )
    own = np.divide(lam, vis, out=np.zeros_like(vis), where=vis > 0)
    unit = org.post_unit[pop.post] + runs.unit_offset
    n_units = runs.count * runs.units
    unit_lam = np.bincount(unit, weights=lam, minlength=n_units)
    unit_vis = np.bincount(unit, weights=vis, minlength=n_units)
    unit_rate = np.divide(unit_lam, unit_vis, out=np.zeros(n_units), where=unit_vis > 0)
    public = runs.per_row(
        [float(t / max(v, 1e-9)) for t, v in zip(runs.sums(lam), runs.sums(vis), strict=True)]
    )
    w_own, w_peer, w_pub = (
        behaviour.learning_own,
        behaviour.learning_peer,
        behaviour.learning_public,
    )
    total = w_own + w_peer + w_pub
    if np.ndim(total) == 0:
        if total <= 0:
            return np.full(alive.size, public, dtype=np.float64)
        return (w_own * own + w_peer * unit_rate[unit] + w_pub * public) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        mixed = (w_own * own + w_peer * unit_rate[unit] + w_pub * public) / total
    return np.where(total > 0, mixed, public)


@pytest.mark.parametrize(
    "settings", [_SETTINGS, [_SETTINGS[2]], [_SETTINGS[0]], [_SETTINGS[3]] * 2]
)
def test_learned_false_report_rate_is_its_numpy_reading(settings: list[dict]) -> None:
    from sim.model.processes.setup import learned_false_report_rate

    pop, org, runs, prm, deterrence = _stack(settings, seed=3)
    if runs.count > 1:
        pop.alive[runs.bounds(1)] = False  # a run with nobody serving
    got = learned_false_report_rate(pop, org, prm, deterrence, runs)
    want = _learned_reference(pop, org, prm, deterrence, runs)
    assert got.tobytes() == want.tobytes()
    if runs.count == 1:  # one run alone: no layout given
        alone = learned_false_report_rate(pop, org, prm, deterrence[0])
        assert alone.tobytes() == want.tobytes()


# --- new cadres' beliefs ----------------------------------------------------------------
def test_a_clipped_number_is_numpys_clip() -> None:
    from sim.model.processes.setup import _unit_clip

    values = [-1.0, -0.0, 0.0, 1e-300, 0.5, 1.0, np.nextafter(1.0, 2.0), 7.0, np.inf, -np.inf]
    values += [np.nan, *np.random.default_rng(0).normal(0.5, 1.0, 1000)]
    for x in values:
        want = np.clip(np.array([x]), 0.0, 1.0)[0]
        assert np.array([_unit_clip(x)]).tobytes() == np.array([want]).tobytes(), x


def _beliefs_reference(pop, org, rows, params, deterrence, rngs, promotion_rate, runs, keep):
    """initial_beliefs in numpy, as it read before its kernel."""
    from sim.model.constants import BELIEF_NOISE
    from sim.model.draws import side_by_side
    from sim.model.processes.setup import belief_truths
    from sim.model.stacking import at_rows

    parts = [
        generator.lognormal(-(BELIEF_NOISE**2) / 2.0, BELIEF_NOISE, (4, part.size))
        for generator, part in zip(rngs, runs.split(rows), strict=True)
        if part.size or runs.count == 1
    ]
    spread = side_by_side(parts)
    truth = belief_truths(pop, org, params, deterrence, promotion_rate, runs)
    pop.belief_exemption[rows] = np.clip(at_rows(truth.exemption, rows) * spread[0], 0.0, 1.0)
    pop.belief_false[rows] = np.clip(truth.false[rows] * spread[1], 0.0, 1.0)
    if keep:
        pop.belief_promotion[rows] = np.clip(
            truth.promotion[runs.run[rows], org.post_level[pop.post[rows]]] * spread[2], 0.0, 1.0
        )
    pop.belief_vindication[rows] = np.clip(at_rows(truth.vindication, rows) * spread[3], 0.0, 1.0)


@pytest.mark.parametrize("settings", [_SETTINGS, [_SETTINGS[1]], [_SETTINGS[0]] * 2])
@pytest.mark.parametrize("which", ["all", "some", "none", "not run 1"])
@pytest.mark.parametrize("keep", [True, False])
def test_initial_beliefs_are_their_numpy_reading(settings, which: str, keep: bool) -> None:
    from dataclasses import fields

    from sim.model.processes.setup import initial_beliefs

    pop, org, runs, prm, deterrence = _stack(settings, seed=5)
    every = np.arange(runs.rows)
    rows = {
        "all": every,
        "some": every[every % 3 == 1],
        "none": every[:0],
        "not run 1": every[runs.run != 1],
    }[which]
    rate = [None, *[np.linspace(0.3, 0.0, org.n_levels)] * (runs.count - 1)][: runs.count]
    expected = _copy(pop)
    ours = [np.random.default_rng(60 + r) for r in range(runs.count)]
    theirs = [np.random.default_rng(60 + r) for r in range(runs.count)]
    truth = initial_beliefs(pop, org, rows, prm, deterrence, ours, rate, runs, None, keep)
    assert (truth is None) == (not rows.size)
    if rows.size:
        _beliefs_reference(expected, org, rows, prm, deterrence, theirs, rate, runs, keep)
    else:
        for generator, part in zip(theirs, runs.split(rows), strict=True):
            if runs.count == 1:
                generator.lognormal(0.0, 1.0, (4, part.size))
    for f in fields(type(pop)):
        assert getattr(pop, f.name).tobytes() == getattr(expected, f.name).tobytes(), f.name
    for a, b in zip(ours, theirs, strict=True):
        assert a.bit_generator.state == b.bit_generator.state


# --- the replayed year's record -----------------------------------------------------------
@pytest.mark.parametrize("per_row", [False, True])
def test_the_replayed_year_is_its_numpy_reading(per_row: bool) -> None:
    from sim.model.processes.replay import _year_record
    from sim.model.stacking import strided

    pop, _, runs, *_ = _stack([_SETTINGS[0]] * 2, seed=8)
    rng = np.random.default_rng(3)
    n = runs.rows
    effort, share = rng.random(n), rng.random(n)
    innovation = rng.random(n) if per_row else 0.35
    active, flat = rng.integers(0, 13, n), rng.integers(0, 13, n)
    decay = 0.98
    expected = _copy(pop)
    alive = pop.alive.copy()
    _year_record(
        alive, pop.ability, effort, *strided(innovation), share, active, flat, decay,
        pop.performance, pop.active_months, pop.flat_months, pop.tenure, pop.age,
        pop.idealism_base, pop.idealism,
    )  # fmt: skip
    e = expected
    output = e.ability * (effort + innovation * share)
    e.performance[:] = np.where(alive, 12.0 * output, 0.0)
    e.active_months[:] = np.where(alive, active, 0)
    e.flat_months[:] = np.where(alive, flat, 0)
    e.tenure += 12 * alive
    e.age += alive
    np.multiply(e.idealism_base, decay, out=e.idealism_base, where=alive)
    np.multiply(e.idealism, decay, out=e.idealism, where=alive)
    for name in ("performance", "active_months", "flat_months", "tenure", "age", "idealism"):
        assert getattr(pop, name).tobytes() == getattr(e, name).tobytes(), name
    assert pop.idealism_base.tobytes() == e.idealism_base.tobytes()


def test_the_years_chances_decide_as_numpys_power() -> None:
    from sim.model.processes.replay import _yearly

    rng = np.random.default_rng(11)
    size, count = 3000, 2
    n = size * count
    false = rng.random(n) * rng.choice([1e-3, 0.1, 1.0], n)
    mistakes = rng.random(n) * rng.choice([1e-3, 0.1, 1.0], n)
    mistakes[:5] = [1.5, -0.1, 0.0, 1.0, 2.0]  # outside [0, 1] or at its ends
    exact_f, exact_m = 1.0 - (1.0 - false) ** 12, 1.0 - (1.0 - mistakes) ** 12
    draws = rng.random((count, 9, size))
    for j, exact in ((0, exact_f), (1, exact_m)):  # draws at and next to the chances
        near = rng.random(n) < 0.3
        ulps = rng.integers(-4, 5, n)
        values = exact + ulps * np.spacing(exact)
        draws[:, j, :] = np.where(near, values, draws[:, j, :].reshape(-1)).reshape(count, size)
    alive = rng.random(n) < 0.9
    fy, my, close = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
    listed = close[: _yearly(size, alive, false, mistakes, draws, fy, my, close)]
    assert listed.size and np.all(alive[listed]) and np.all(np.diff(listed) > 0)
    fy[listed], my[listed] = exact_f[listed], exact_m[listed]
    flat = draws.transpose(1, 0, 2).reshape(9, n)
    serving = np.flatnonzero(alive)
    np.testing.assert_array_equal((flat[0] < fy)[serving], (flat[0] < exact_f)[serving])
    np.testing.assert_array_equal((flat[1] < my)[serving], (flat[1] < exact_m)[serving])
    tight = alive & ((np.abs(flat[0] - exact_f) < 1e-13) | (np.abs(flat[1] - exact_m) < 1e-13))
    assert set(np.flatnonzero(tight)) <= set(listed.tolist())
    for i in (0, 1, 4):  # a hazard outside [0, 1]: numpy's chance, if serving
        assert (i in listed.tolist()) == bool(alive[i])


def test_the_belief_noise_is_numpys_lognormal() -> None:
    from sim.model.constants import BELIEF_NOISE
    from sim.model.processes.setup import _noisy_beliefs

    n, scale = 200_000, 2.0**-10  # beliefs of truth `scale`: the noise, exactly, times it
    counts = np.array([n // 2, 0, n - n // 2], dtype=np.int64)
    rows = np.arange(n, dtype=np.int64)
    rngs = [np.random.default_rng(s) for s in range(3)]
    noise = np.concatenate(
        [g.standard_normal(4 * int(k)) for g, k in zip(rngs, counts, strict=True)]
    )
    out = [np.zeros(n) for _ in range(4)]
    mean = -(BELIEF_NOISE**2) / 2.0
    _noisy_beliefs(
        rows, counts, noise, mean, BELIEF_NOISE, np.array([scale]), 0, np.full(n, scale),
        np.array([scale]), 0, np.full((1, 1), scale), np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64), np.zeros(1, dtype=np.int64), True, *out,
    )  # fmt: skip
    spread = np.concatenate(
        [
            np.random.default_rng(s).lognormal(mean, BELIEF_NOISE, (4, int(k)))
            for s, k in enumerate(counts)
        ],
        axis=1,
    )
    for c in range(4):
        assert (out[c] / scale).tobytes() == spread[c].tobytes()
