namespace weft::detail {
int cli_main(int argc, char** argv);
}

int main(int argc, char** argv) { return weft::detail::cli_main(argc, argv); }
