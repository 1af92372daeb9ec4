from authmesh_identity.domain.one_time_codes import CodePurpose, code_hash, new_code


def test_codes_are_digits_of_the_asked_length_with_leading_zeros_kept() -> None:
    codes = {new_code(6) for _ in range(2000)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert any(code.startswith("0") for code in codes)
    assert len(codes) > 1900


def test_the_hash_binds_purpose_and_identifier() -> None:
    base = code_hash(CodePurpose.EMAIL_SIGN_IN, "a@example.com", "123456")
    assert base != code_hash(CodePurpose.EMAIL_VERIFICATION, "a@example.com", "123456")
    assert base != code_hash(CodePurpose.EMAIL_SIGN_IN, "b@example.com", "123456")
    assert base == code_hash(CodePurpose.EMAIL_SIGN_IN, "a@example.com", "123456")
