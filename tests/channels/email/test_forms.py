"""The "Field: value" template of email acknowledgements and reading it back."""

from __future__ import annotations

from channels.email.forms import field_template, parse_fields


def test_template_lists_only_what_is_missing_in_both_languages() -> None:
    template = field_template(["identity", "contact", "obtain_method"])
    assert template.splitlines() == [
        "NIK atau nomor SK badan hukum / NIK or legal entity SK number: ",
        "Nomor telepon / Phone number: ",
        "Cara memperoleh / How to obtain: ",
        "  (pilih: melihat, membaca, mendengarkan, mencatat, salinan softcopy, salinan hardcopy)",
        "  (choose: melihat (see), membaca (read), mendengarkan (listen), mencatat (take notes), "
        "salinan softcopy, salinan hardcopy)",
    ]


def test_a_filled_in_template_reads_back() -> None:
    filled = field_template(["name", "identity", "address", "contact", "information_requested",
                             "purpose", "obtain_method", "delivery_method"])  # fmt: skip
    answers = {
        "Nama lengkap / Full name: ": "Siti Aminah",
        "NIK atau nomor SK badan hukum / NIK or legal entity SK number: ": "3171 0145 0190 0001",
        "Alamat / Address: ": "Jl. Merdeka No. 1",
        "Nomor telepon / Phone number: ": "0812-3456-7890",
        "Rincian informasi / Information requested: ": "APBD 2025",
        "Tujuan penggunaan / Purpose of use: ": "Penelitian",
        "Cara memperoleh / How to obtain: ": "Salinan Softcopy",
        "Cara mengirim / How to send: ": "ambil langsung",
    }
    text = "\n".join(line + answers.get(line, "") for line in filled.splitlines())
    parsed = parse_fields(text)
    assert parsed.errors == ()
    assert parsed.values == {
        "name": "Siti Aminah",
        "nik": "3171014501900001",
        "address": "Jl. Merdeka No. 1",
        "phone": "+6281234567890",
        "information_requested": "APBD 2025",
        "purpose": "Penelitian",
        "obtain_method": "salinan_softcopy",
        "delivery_method": "ambil_langsung",
    }


def test_synonyms_continuations_and_the_rest_of_the_text() -> None:
    parsed = parse_fields(
        "Selamat pagi.\nNama: Budi\nNo. HP: +62 812 3456 7890\nAlamat: Jl. Mawar 2\n"
        "RT 01/RW 02, Bandung\n\nSaya perlu data ini untuk tugas.\nWebsite: https://x.test"
    )
    assert parsed.values == {"name": "Budi", "phone": "+6281234567890",
                             "address": "Jl. Mawar 2\nRT 01/RW 02, Bandung"}  # fmt: skip
    assert (
        parsed.rest == "Selamat pagi.\n\nSaya perlu data ini untuk tugas.\nWebsite: https://x.test"
    )


def test_legal_entity_and_invalid_values() -> None:
    parsed = parse_fields("NIK: AHU-0012345.AH.01.07.2020\nTelepon: 123\nCara mengirim: merpati")
    assert parsed.values == {"entity_sk_number": "AHU-0012345.AH.01.07.2020"}
    assert [e.key for e in parsed.errors] == ["validation.phone", "fields.delivery_method_invalid"]


def test_empty_rows_of_a_quoted_template_are_ignored() -> None:
    assert parse_fields("Alamat / Address: \nNIK: ").values == {}


def test_a_long_line_without_a_label_is_read_at_once() -> None:
    # The former "Label: value" pattern backtracked for seconds on 8,000 spaces (issue #9).
    fields = parse_fields(" " * 200_000 + "x\nNIK: 3171014501900001")
    assert fields.values == {"nik": "3171014501900001"}
