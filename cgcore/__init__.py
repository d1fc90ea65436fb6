"""cgcore: the ideas of 'Exploring explicit coarse-grained structure in artificial neural
networks' (Yang, Xie, Yang) as a small PyTorch library.

Modules: ``data`` (data sets), ``taylor`` (direct Taylor expansion, Eq. 3), ``layers``
(the CG operation, Eq. 4), ``models`` (TaylorNets, ResNet baseline), ``symbolic``
(Appendix A), ``rg`` and ``diagrams`` (Sec. II figures), ``train``, ``results`` (results
store), ``profiles`` (experiment sizes), ``paper`` (the paper's numbers), ``experiments``
(one runner per book chapter), ``scorecard``, ``report``, ``plots``, ``bench``.
"""

__version__ = "0.1.0"
