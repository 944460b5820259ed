"""Parameters, the bottom layer: every setting and the one validator of its values.

:mod:`~sim.parameters.registry` declares each parameter once;
:mod:`~sim.parameters.schema` is the one validator (the rule for types,
numpy numbers, whole floats and ranges, and every message);
:mod:`~sim.parameters.values` holds the typed :class:`Params` and ``Value``;
:mod:`~sim.parameters.timeline` the policy timeline and its entry format;
:mod:`~sim.parameters.names` the one rule for names that become folders.
"""
