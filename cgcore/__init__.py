"""cgcore: the ideas of 'Exploring explicit coarse-grained structure in artificial neural
networks' (Yang, Xie, Yang) as a small PyTorch library.

Modules: ``data`` (data sets), ``taylor`` (direct Taylor expansion, Eq. 3), ``layers``
(the CG operation, Eq. 4), ``models`` (TaylorNets, ResNet baseline), ``symbolic``
(Appendix A), ``rg`` and ``diagrams`` (Sec. II figures), ``train``, ``results`` (results
store), ``profiles`` (experiment sizes), ``paper`` (the paper's numbers), ``experiments``
(one runner per book chapter), ``scorecard``, ``report``, ``plots``, ``bench``.
"""

import os

__version__ = "0.1.0"

# Intel MKL's conditional numerical reproducibility: fixed cache sizes, deterministic
# reductions and static scheduling (its ISA dispatch unchanged), so that a rerun on another
# machine of the same kind gives the same bits. Without it an order-3 Taylor expansion
# moved by up to 0.09 points between two machines; with it the weights here are the same
# bits as before. Set before torch makes its first MKL call; a value set by the user wins.
os.environ.setdefault("MKL_CBWR", "AUTO")
