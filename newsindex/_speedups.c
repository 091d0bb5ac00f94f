/* Compiled versions of two indexing kernels; _kernels.py holds the Python
 * versions, which are the reference (same results, tested both ways) and
 * which run wherever this module was not built (no compiler at install).
 *
 * chunk_ids(text, table): a text's chunks (pieces between spaces, tabs and
 *     line breaks; see _tokens.split_chunks) looked up in a segment's chunk
 *     table, as native uint32 ids and character offsets.
 * minhash(words, multipliers, increments, min_shingles): the 16-bit MinHash
 *     positions of a text's three-word shingles (see _signatures.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* -- chunk_ids ----------------------------------------------------------- */

static int
is_chunk_separator(Py_UCS4 c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* The id of ``chunk`` in ``table`` (a dict whose __missing__ assigns one);
 * -1 with an exception set on failure. */
static long long
lookup_id(PyObject *table, PyObject *chunk)
{
    PyObject *found = PyDict_GetItemWithError(table, chunk); /* borrowed */
    long long id;
    if (found != NULL) {
        return PyLong_AsLongLong(found);
    }
    if (PyErr_Occurred()) {
        return -1;
    }
    found = PyObject_GetItem(table, chunk); /* calls __missing__ */
    if (found == NULL) {
        return -1;
    }
    id = PyLong_AsLongLong(found);
    Py_DECREF(found);
    return id;
}

static PyObject *
chunk_ids(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *text, *table, *ids = NULL, *starts = NULL, *result = NULL;
    Py_ssize_t length, count = 1, i, begin = 0, at = 0;
    uint32_t *id_out, *start_out;
    const void *data;
    int kind;

    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyDict_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "chunk_ids(text: str, table: dict)");
        return NULL;
    }
    text = args[0];
    table = args[1];
    length = PyUnicode_GET_LENGTH(text);
    if (length >= UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "text too long for 32-bit offsets");
        return NULL;
    }
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    for (i = 0; i < length; i++) {
        count += is_chunk_separator(PyUnicode_READ(kind, data, i));
    }
    ids = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(uint32_t));
    starts = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(uint32_t));
    if (ids == NULL || starts == NULL) {
        goto done;
    }
    id_out = (uint32_t *)PyBytes_AS_STRING(ids);
    start_out = (uint32_t *)PyBytes_AS_STRING(starts);
    for (i = 0; i <= length; i++) {
        PyObject *chunk;
        long long id;
        if (i < length && !is_chunk_separator(PyUnicode_READ(kind, data, i))) {
            continue;
        }
        chunk = PyUnicode_Substring(text, begin, i);
        if (chunk == NULL) {
            goto done;
        }
        id = lookup_id(table, chunk);
        Py_DECREF(chunk);
        if (id < 0 || id > (long long)UINT32_MAX) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_OverflowError, "chunk id out of range");
            }
            goto done;
        }
        id_out[at] = (uint32_t)id;
        start_out[at] = (uint32_t)begin;
        at++;
        begin = i + 1;
    }
    result = PyTuple_Pack(2, ids, starts);
done:
    Py_XDECREF(ids);
    Py_XDECREF(starts);
    return result;
}

/* -- minhash ------------------------------------------------------------- */

#define SHINGLE_WORDS 3
#define MAX_POSITIONS 256

static uint32_t crc_table[256];

static void
init_crc_table(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[n] = c;
    }
}

/* CRC-32 as zlib.crc32 computes it. */
static uint64_t
crc32_of(const unsigned char *p, Py_ssize_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < n; i++) {
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    }
    return (uint64_t)(c ^ 0xFFFFFFFFu);
}

static const uint64_t MIX[4] = {
    0x9E3779B97F4A7C15ull,
    0xC2B2AE3D27D4EB4Full,
    0x165667B19E3779F9ull,
    0xFF51AFD7ED558CCDull,
};

static PyObject *
minhash(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer words = {0}, mult = {0}, inc = {0};
    PyObject *result = NULL;
    const unsigned char *p, *end;
    const uint64_t *a, *b;
    uint64_t least[MAX_POSITIONS], window[SHINGLE_WORDS] = {0, 0, 0};
    Py_ssize_t positions, seen = 0, shingles = 0, min_shingles;

    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError,
                        "minhash(words, multipliers, increments, min_shingles)");
        return NULL;
    }
    min_shingles = PyLong_AsSsize_t(args[3]);
    if (min_shingles == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &words, PyBUF_SIMPLE) < 0 ||
        PyObject_GetBuffer(args[1], &mult, PyBUF_SIMPLE) < 0 ||
        PyObject_GetBuffer(args[2], &inc, PyBUF_SIMPLE) < 0) {
        goto done;
    }
    positions = mult.len / (Py_ssize_t)sizeof(uint64_t);
    if (mult.len != inc.len || mult.len % sizeof(uint64_t) != 0 ||
        positions > MAX_POSITIONS) {
        PyErr_SetString(PyExc_ValueError, "bad multipliers or increments");
        goto done;
    }
    a = (const uint64_t *)mult.buf;
    b = (const uint64_t *)inc.buf;
    for (Py_ssize_t j = 0; j < positions; j++) {
        least[j] = UINT64_MAX;
    }
    p = (const unsigned char *)words.buf;
    end = p + words.len;
    /* Words are runs of bytes other than the space (the caller has turned
     * every other separator into one). */
    while (p < end) {
        const unsigned char *start;
        uint64_t h;
        if (*p == ' ') {
            p++;
            continue;
        }
        start = p;
        while (p < end && *p != ' ') {
            p++;
        }
        window[0] = window[1];
        window[1] = window[2];
        window[2] = crc32_of(start, p - start);
        if (++seen < SHINGLE_WORDS) {
            continue;
        }
        h = window[0] * MIX[0] + window[1] * MIX[1] + window[2] * MIX[2];
        h ^= h >> 33;
        h *= MIX[3];
        h ^= h >> 33;
        for (Py_ssize_t j = 0; j < positions; j++) {
            uint64_t v = h * a[j] + b[j];
            least[j] = v < least[j] ? v : least[j];
        }
        shingles++;
    }
    if (shingles < min_shingles) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, positions * 2);
    if (result != NULL) {
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        for (Py_ssize_t j = 0; j < positions; j++) {
            uint16_t kept = (uint16_t)((least[j] >> 24) & 0xFFFF);
            out[2 * j] = (unsigned char)(kept & 0xFF); /* little-endian */
            out[2 * j + 1] = (unsigned char)(kept >> 8);
        }
    }
done:
    if (words.obj) {
        PyBuffer_Release(&words);
    }
    if (mult.obj) {
        PyBuffer_Release(&mult);
    }
    if (inc.obj) {
        PyBuffer_Release(&inc);
    }
    return result;
}

/* -- the module ---------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"chunk_ids", (PyCFunction)(void (*)(void))chunk_ids, METH_FASTCALL,
     "The ids (looked up in a chunk table) and offsets of a text's chunks, "
     "as native uint32 bytes."},
    {"minhash", (PyCFunction)(void (*)(void))minhash, METH_FASTCALL,
     "The 16-bit MinHash positions of a text's shingles, or None when it "
     "has fewer than min_shingles."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "newsindex._speedups",
    "Compiled indexing kernels (see _kernels.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    init_crc_table();
    return PyModule_Create(&module_def);
}
