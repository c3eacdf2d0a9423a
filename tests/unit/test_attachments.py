from portal.attachments import MAX_BYTES, Upload, safe_filename, upload_problems


def test_five_good_files_pass():
    assert upload_problems([Upload(f"p{i}.JPG", b"x") for i in range(5)]) == []


def test_six_files_are_too_many():
    assert upload_problems([Upload(f"p{i}.jpg", b"x") for i in range(6)])[0][1] == {"max": 5}


def test_big_wrong_and_empty_files():
    problems = upload_problems([Upload("a.pdf", b"x" * (MAX_BYTES + 1)), Upload("b.exe", b"x"),
                                Upload("c.png", b"")])
    assert [p[1]["name"] for p in problems] == ["a.pdf", "b.exe", "c.png"]


def test_exactly_ten_megabytes_is_fine():
    assert upload_problems([Upload("a.pdf", b"x" * MAX_BYTES)]) == []


def test_safe_filename_drops_paths():
    assert safe_filename("C:\\Users\\x\\photo.jpg") == "photo.jpg"
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("  ") == "file"
