"""Property tests: over random valid parameter sets the model runs and its invariants hold."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import CadreModel
from sim.parameters import registry as P

#: Structural parameters drawn from small ranges so each example is fast.
SMALL_STRUCTURE = {
    "workforce.population": st.integers(20, 250),
    "workforce.levels": st.integers(2, 6),
    "career.span": st.integers(2, 6),
    "simulation.warmup_months": st.integers(0, 13),
}


def value_strategy(p: P.Param) -> st.SearchStrategy:
    if p.name in SMALL_STRUCTURE:
        return SMALL_STRUCTURE[p.name]
    if p.type is bool:
        return st.booleans()
    if p.type is int:
        return st.integers(int(p.low), int(p.high))
    return st.floats(float(p.low), float(p.high), allow_nan=False)


parameter_sets = st.fixed_dictionaries({p.kwarg: value_strategy(p) for p in P.PARAMS})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kwargs=parameter_sets, seed=st.integers(0, 2**32 - 1))
def test_model_runs_and_invariants_hold_for_any_valid_parameters(kwargs, seed):
    model = CadreModel(rng=seed, **kwargs)
    model.run(26)
    df = model.timeseries()
    shares = df[["flat_share", "active_share", "routine_share"]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert ((shares >= 0) & (shares <= 1)).all().all()
    counts = df.drop(columns=["reputation_cleared"]).select_dtypes("number")
    assert (counts.fillna(0) >= 0).all().all()
    assert df.headcount.iloc[-1] == len(model.agents)
    pop = model.pop
    alive = pop.alive
    for belief in ("belief_exemption", "belief_false", "belief_promotion", "belief_vindication"):
        values = getattr(pop, belief)[alive]
        assert ((values >= 0) & (values <= 1)).all(), belief
    assert ((pop.reputation[alive] >= 0) & (pop.reputation[alive] <= 1)).all()
    assert ((pop.idealism[alive] >= 0) & (pop.idealism[alive] <= 1)).all()
    if not kwargs["workforce_demography"] and kwargs["workforce_staffing_cut"] == 0:
        assert (df.headcount == df.headcount.iloc[0]).all()


@settings(max_examples=10, deadline=None)
@given(kwargs=parameter_sets, seed=st.integers(0, 2**32 - 1))
def test_same_parameters_and_seed_reproduce_bit_for_bit(kwargs, seed):
    a = CadreModel(rng=seed, **kwargs)
    b = CadreModel(rng=seed, **kwargs)
    a.run(13)
    b.run(13)
    assert a.timeseries().equals(b.timeseries())
