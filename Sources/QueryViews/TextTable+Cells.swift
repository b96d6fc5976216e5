extension TextTable {
    /// The header and rows, for a spreadsheet.
    public var cells: [[String]] { [header] + rows }
}
