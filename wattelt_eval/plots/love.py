"""Love plot of covariate balance: the one disclosure-safe love plot of the package.

It lives with the balance computation (:func:`wattelt_eval.estimation.balancing.love_plot`,
also behind ``BalanceResult.plot()``); it is re-exported here so that every figure can
be found in :mod:`wattelt_eval.plots`.
"""

from __future__ import annotations

from ..estimation.balancing import love_plot

__all__ = ["love_plot"]
