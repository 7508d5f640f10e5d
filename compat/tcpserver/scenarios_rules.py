"""Scenarios: which rule of a rules cdb (-x) applies to a client and what it does: allow with
variables, deny, prefixes, ranges and the default key. The cdb is compiled by the reference
tcprules, so ours and the reference read the same bytes."""

from harness import scenario, serve_under_rules


@scenario()
def s_rules_allow_sets_env(run):
    """Rule variables come last and override TCP* in the env; the log keeps the real values."""
    serve_under_rules(run, '127.0.0.1:allow,RULEVAR="ruled",TCPREMOTEHOST="fake",'
                      'TCPLOCALIP="9.9.9.9",TCPLOCALHOST="fakelocal",PROTO="X"\n:deny\n')


@scenario()
def s_rules_same_var_twice(run):
    """A rule setting a variable twice: the later value wins."""
    serve_under_rules(run, '127.0.0.1:allow,RULEVAR="first",RULEVAR=/second/\n')


@scenario()
def s_rules_deny(run):
    """Deny: no program, exit 100 (status 25600), the client just sees EOF."""
    serve_under_rules(run, "127.0.0.1:deny\n:allow\n")


@scenario()
def s_rules_banner_before_deny(run):
    """The banner is written before the rules are read: a denied client still gets it."""
    serve_under_rules(run, "127.0.0.1:deny\n", ["-B", "banner"])


@scenario()
def s_rules_prefix_and_default(run):
    """Prefix keys, first line wins, and the empty default key."""
    serve_under_rules(run, '10.:deny\n127.0.:allow,WHICH="prefix"\n127.0.:deny\n:deny\n')


@scenario()
def s_rules_default_deny(run):
    serve_under_rules(run, '10.1.2.3:allow\n:deny,WHICH="default"\n')


@scenario()
def s_rules_info_key_needs_ident(run):
    """With -R TCPREMOTEINFO is unset, so `@127.0.0.1` is never tried."""
    serve_under_rules(run, '@127.0.0.1:deny\n127.0.0.1:allow,WHICH="ip"\n')


@scenario()
def s_rules_range(run):
    """An `a-b` range compiled by tcprules: 127.0-1. covers 127.0.0.1."""
    serve_under_rules(run, '127.0-1.:allow,WHICH="range"\n:deny\n')
