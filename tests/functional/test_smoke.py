from tests.conftest import post_form


def test_catalog_lists_the_synced_course(client, mini_course):
    body = client.get("/").get_data(as_text=True)
    assert "A miniature course for tests" in body
    assert "0.5 CE hours" in body


def test_register_then_enrol_and_read(client, mini_course):
    response = post_form(
        client,
        "/register",
        {
            "name": "Ana Tester",
            "email": "ana@example.com",
            "password": "long enough password",
            "confirm": "long enough password",
            "profession": "pt",
        },
        page="/register",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    response = post_form(client, "/courses/mini/enrol", page="/courses/mini")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/courses/mini/lessons/first")
    page = client.get("/courses/mini/lessons/first").get_data(as_text=True)
    assert "The first lesson" in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
