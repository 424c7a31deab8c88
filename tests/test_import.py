import ad_compiler


def test_version():
    assert ad_compiler.__version__
