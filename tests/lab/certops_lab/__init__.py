"""certops_lab: a simulated Windows estate that real ansible-playbook reaches over real WinRM."""
