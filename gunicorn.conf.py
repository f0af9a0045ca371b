"""gunicorn settings used by ``make run``; every value can be overridden from the environment.

WeChat gives up on a request after 5 s, so nothing here needs long timeouts; the app is
preloaded so jieba's dictionary and the index are built once, before the workers fork.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threaded workers: a connection that is idle, or slow to send its request, holds one thread,
# not the whole worker (two such connections straight to sync workers took the bot down), and
# for at most WEB_READ_TIMEOUT seconds (bot/web/gunicorn_worker.py). The proxy is still advised.
worker_class = "bot.web.gunicorn_worker.TimedThreadWorker"
threads = int(os.environ.get("WEB_THREADS", "16"))
preload_app = True  # build jieba and the index once, before forking, so workers share it
timeout = 30
graceful_timeout = 20
keepalive = 5
# The longest request line gunicorn takes (its default, 4094, is about 450 Chinese characters
# in a query string): the Unanswered page links to the hit test with questions of up to 500.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# WeChat puts the user's OpenID (and the signatures) in the query string: log the path only.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s" pid=%(p)s'
# gunicorn's runtime control socket defaults to one path per user ($HOME/.gunicorn), which a
# second instance on the machine would take over; the bot does not use it.
control_socket_disable = True


def when_ready(server: object) -> None:
    """In the master, after the preloaded app is built and before any worker forks: move
    everything allocated so far (jieba's dictionary, the index) out of the garbage
    collector's reach. Workers then neither scan those objects on every full collection nor
    write to their pages, which stay shared with the master (Python's advice for fork)."""
    import gc

    gc.collect()
    gc.freeze()


def pre_fork(server: object, worker: object) -> None:
    """In the master, before each worker forks: close the LMDB environment the preloaded app
    opened (the secrets were read at start). An environment must not cross a fork: a child
    using its parent's would break the locks LMDB keeps for both, and each worker opens its
    own when it first needs it (bot/state/embedded.py)."""
    from bot.state.embedded import close_before_fork

    close_before_fork()
