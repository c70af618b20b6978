"""The accessibility check itself: the vendored axe-core is the one noted, and a
page with a serious violation is caught (so a clean run means something)."""

from __future__ import annotations

import hashlib

import accessibility


def test_the_vendored_axe_core_is_the_noted_version():
    source = accessibility.AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == accessibility.AXE_SHA256
    assert source.startswith(f"/*! axe v{accessibility.AXE_VERSION}".encode())
    assert b"Mozilla Public" in source[:600]  # the licence header stays


def test_a_serious_violation_is_reported(browser):
    context = browser.new_context()
    page = context.new_page()
    page.route("http://checked.example/", lambda route: route.fulfill(
        content_type="text/html",
        body='<!doctype html><html lang="ja"><title>t</title><main><img src="x.png"><button></button></main>'))
    page.goto("http://checked.example/")
    accessibility.check(page, again=True)
    found, accessibility.FINDINGS[:] = list(accessibility.FINDINGS), []
    context.close()
    assert any("image-alt" in f for f in found) and any("button-name" in f for f in found), found
    assert all(f.startswith("/: ") for f in found)
