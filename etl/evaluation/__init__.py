"""Offline evaluation of next-track recommendations on real DJ mixes (``etl eval``).

``metrics``         pure ranking metrics (HR@k, MRR, NDCG@k) and the fair rank of a target among ties;
``split``           the temporal train/test split of a MixesDB file by the date that starts each mix title;
``recommenders``    random, popularity, item-kNN co-occurrence and the graph recommender;
``transitions``     the ``etl eval transitions`` command logic (fresh database, test-pair resolution, report).
"""
