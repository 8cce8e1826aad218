"""Radio on the recommender's side: how a pick is made from the model and the library.

``state`` carries the hidden state from play to play (skips included); ``scores`` turns it into
log-probabilities over every track through the model's own forward pass (V read as int8 codes,
``int8``); ``draw`` samples from them (temperature, nucleus, excluded tracks); ``prior`` is the
library-structure distribution of day one, and ``mixture`` mixes the two and draws a pick;
``memory`` is what radio keeps between runs; ``preview`` is ``segue-recommender radio``.
The plugin (:mod:`recommender.plugin`) owns one of each and answers the player.
"""
